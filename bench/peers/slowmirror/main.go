// Command slowmirror serves a GOPROXY tree (a go command's cache/download) from disk after a fixed
// delay per request, like a remote mirror one round trip away, and counts the requests per path.
// With -forward, requests under a path prefix go to another server after the same delay: a checksum
// database served below /sumdb/<name>/ by the same mirror, as goproxy.cn and proxy.golang.org serve one.
// It is the one upstream every proxy in bench/peers.sh sits in front of.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	roots := flag.String("root", "", "GOPROXY trees to serve, separated by ':' (the first that has a file answers)")
	delay := flag.Duration("delay", 50*time.Millisecond, "delay before each answer")
	forward := flag.String("forward", "", "prefix=URL: requests under the path prefix go to URL, prefix removed")
	rate := flag.Int64("rate", 0, "bytes per second each answer is sent at, like a link that narrow (0: as fast as it goes)")
	flag.Parse()

	var forwardPrefix string
	var forwardTo http.Handler
	if *forward != "" {
		prefix, target, ok := strings.Cut(*forward, "=")
		to, err := url.Parse(target)
		if !ok || err != nil || to.Host == "" {
			log.Fatalf("-forward wants prefix=URL, not %q", *forward)
		}
		forwardPrefix = prefix
		forwardTo = http.StripPrefix(prefix, httputil.NewSingleHostReverseProxy(to))
	}

	var mu sync.Mutex
	counts := map[string]int{}
	mux := http.NewServeMux()
	// GET /_counts lists "count path" lines; DELETE /_counts resets them between runs.
	mux.HandleFunc("/_counts", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Method == http.MethodDelete {
			counts = map[string]int{}
			return
		}
		paths := make([]string, 0, len(counts))
		for p := range counts {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			fmt.Fprintf(w, "%d %s\n", counts[p], p)
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		counts[r.URL.Path]++
		mu.Unlock()
		time.Sleep(*delay)
		if *rate > 0 {
			w = &throttled{ResponseWriter: w, rate: *rate, start: time.Now()}
		}
		if forwardTo != nil && strings.HasPrefix(r.URL.Path, forwardPrefix+"/") {
			forwardTo.ServeHTTP(w, r)
			return
		}
		for _, root := range strings.Split(*roots, ":") {
			file := filepath.Join(root, filepath.FromSlash(r.URL.Path))
			if info, err := os.Stat(file); err == nil && !info.IsDir() {
				http.ServeFile(w, r, file)
				return
			}
		}
		http.NotFound(w, r) // no directory listings: a GOPROXY answers 404
	})
	log.Fatal(http.ListenAndServe(*addr, mux))
}

// throttled sends an answer no faster than rate bytes a second.
type throttled struct {
	http.ResponseWriter
	rate  int64
	start time.Time
	sent  int64
}

func (t *throttled) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		n := len(p)
		if n > 16<<10 {
			n = 16 << 10
		}
		m, err := t.ResponseWriter.Write(p[:n])
		written += m
		t.sent += int64(m)
		if err != nil {
			return written, err
		}
		p = p[n:]
		due := t.start.Add(time.Duration(t.sent * int64(time.Second) / t.rate))
		time.Sleep(time.Until(due))
	}
	return written, nil
}
