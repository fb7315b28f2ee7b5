// Command hitload is bench/cache-hits.sh's second client (CLIENT=go): the Go standard library's
// HTTP client, as the go command uses it, asking for one URL over a fixed number of keep-alive
// connections for a fixed time, each connection read by its own goroutine. wrk reads all its
// connections on one thread each; the two clients weigh a server's fairness differently.
//
// It prints one line, as cache-hits.sh's measure() does for wrk:
// requests per second, p99 latency in milliseconds, non-2xx answers, failed requests.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"
)

func main() {
	url := flag.String("url", "", "the URL to ask for")
	connections := flag.Int("c", 32, "keep-alive connections, one goroutine each")
	duration := flag.Duration("d", 10*time.Second, "how long to ask")
	timeout := flag.Duration("timeout", 10*time.Second, "the longest one request may take")
	flag.Parse()
	if *url == "" {
		fmt.Fprintln(os.Stderr, "usage: hitload -url URL [-c 32] [-d 10s] [-timeout 10s]")
		os.Exit(2)
	}
	client := &http.Client{
		Timeout: *timeout,
		Transport: &http.Transport{
			MaxConnsPerHost:     *connections,
			MaxIdleConnsPerHost: *connections,
			DisableCompression:  true,
		},
	}

	var (
		mu        sync.Mutex
		latencies []time.Duration
		non2xx    int
		failed    int
		wg        sync.WaitGroup
	)
	end := time.Now().Add(*duration)
	for i := 0; i < *connections; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buffer := make([]byte, 256<<10)
			for time.Now().Before(end) {
				start := time.Now()
				status, err := get(client, *url, buffer)
				took := time.Since(start)
				mu.Lock()
				switch {
				case err != nil:
					failed++
				case status/100 != 2:
					non2xx++
				default:
					latencies = append(latencies, took)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	p99 := 0.0
	if len(latencies) > 0 {
		sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
		p99 = float64(latencies[(len(latencies)-1)*99/100].Microseconds()) / 1000
	}
	fmt.Printf("%.2f %.2f %d %d\n", float64(len(latencies))/duration.Seconds(), p99, non2xx, failed)
}

// get asks once and reads the whole body, as a client that uses the answer would.
func get(client *http.Client, url string, buffer []byte) (int, error) {
	response, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	defer response.Body.Close()
	if _, err := io.CopyBuffer(io.Discard, response.Body, buffer); err != nil {
		return 0, err
	}
	return response.StatusCode, nil
}
