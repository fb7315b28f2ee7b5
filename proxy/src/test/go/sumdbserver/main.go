// Command sumdbserver serves a real Go checksum database (golang.org/x/mod/sumdb)
// over HTTP for modproxy's tests. It prints "vkey <verifier key>" and "url <base URL>"
// on stdout, then serves until stdin closes or it is killed.
//
// Records are added at start in the order of -records, whose lines are either
// "<module> <version> <zip h1> <go.mod h1>" or "<module> <version>"; the latter, and
// lookups of modules not listed, are hashed with dirhash from -proxydir (a GOPROXY
// directory layout), as the public database hashes what the proxies serve.
// -forge "<module>@<version>=<h1>" makes lookups answer a record that is not in the log.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/dirhash"
	"golang.org/x/mod/sumdb/note"
)

func main() {
	name := flag.String("name", "sum.test", "database name")
	keyFile := flag.String("key", "", "signer key file; created with a new key when missing")
	records := flag.String("records", "", "file of '<module> <version> <zip h1> <go.mod h1>' lines")
	proxyDir := flag.String("proxydir", "", "GOPROXY directory whose modules are hashed on lookup")
	forge := flag.String("forge", "", "'<module>@<version>=<h1>': answer lookups with a forged zip hash")
	addr := flag.String("addr", "127.0.0.1:0", "listen address (bench/build.sh restarts a database on one port)")
	flag.Parse()

	skey, vkey := signerKey(*keyFile, *name)
	fixed, order := readRecords(*records)
	gosum := func(path, vers string) ([]byte, error) {
		if lines, ok := fixed[path+"@"+vers]; ok {
			return []byte(lines), nil
		}
		if *proxyDir != "" {
			return hashFromProxyDir(*proxyDir, path, vers)
		}
		return nil, os.ErrNotExist
	}
	db := sumdb.NewTestServer(skey, gosum)
	for _, mv := range order {
		if _, err := db.Lookup(context.Background(), mv); err != nil {
			log.Fatalf("adding %v: %v", mv, err)
		}
	}
	var ops sumdb.ServerOps = db
	if *forge != "" {
		ops = forger(db, *forge)
	}

	srv := sumdb.NewServer(ops)
	mux := http.NewServeMux()
	for _, p := range sumdb.ServerPaths {
		mux.Handle(p, srv)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("vkey %s\nurl http://%s\n", vkey, ln.Addr())
	os.Stdout.Sync()
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	log.Fatal(http.Serve(ln, mux))
}

// signerKey loads "<signer key>\n<verifier key>\n" from file, or generates a key pair
// (and stores it there when a file is named) so that several servers can share one key.
func signerKey(file, name string) (skey, vkey string) {
	if file != "" {
		if data, err := os.ReadFile(file); err == nil {
			keys := strings.Fields(string(data))
			if len(keys) != 2 {
				log.Fatalf("%s: want signer and verifier key", file)
			}
			return keys[0], keys[1]
		}
	}
	skey, vkey, err := note.GenerateKey(nil, name)
	if err != nil {
		log.Fatal(err)
	}
	if file != "" {
		if err := os.WriteFile(file, []byte(skey+"\n"+vkey+"\n"), 0o600); err != nil {
			log.Fatal(err)
		}
	}
	return skey, vkey
}

func readRecords(file string) (map[string]string, []module.Version) {
	fixed := map[string]string{}
	var order []module.Version
	if file == "" {
		return fixed, order
	}
	f, err := os.Open(file)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 2 && len(fields) != 4 {
			log.Fatalf("bad record line %q", sc.Text())
		}
		path, vers := fields[0], fields[1]
		if len(fields) == 4 {
			fixed[path+"@"+vers] = fmt.Sprintf("%s %s %s\n%s %s/go.mod %s\n", path, vers, fields[2], path, vers, fields[3])
		}
		order = append(order, module.Version{Path: path, Version: vers})
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
	return fixed, order
}

func hashFromProxyDir(dir, path, vers string) ([]byte, error) {
	escPath, err := module.EscapePath(path)
	if err != nil {
		return nil, err
	}
	escVers, err := module.EscapeVersion(vers)
	if err != nil {
		return nil, err
	}
	base := filepath.Join(dir, filepath.FromSlash(escPath), "@v", escVers)
	zipHash, err := dirhash.HashZip(base+".zip", dirhash.Hash1)
	if err != nil {
		return nil, err
	}
	modHash, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return os.Open(base + ".mod")
	})
	if err != nil {
		return nil, err
	}
	return []byte(fmt.Sprintf("%s %s %s\n%s %s/go.mod %s\n", path, vers, zipHash, path, vers, modHash)), nil
}

// forgingOps answers one module's record with a substituted zip hash, keeping the
// genuine record id and signed tree: a lying server whose record is not in the log.
type forgingOps struct {
	sumdb.ServerOps
	target   module.Version
	hash     string
	targetID int64
}

func forger(ops sumdb.ServerOps, spec string) sumdb.ServerOps {
	at := strings.LastIndex(spec, "@")
	eq := strings.Index(spec, "=")
	if at < 0 || eq < at {
		log.Fatalf("bad -forge %q", spec)
	}
	return &forgingOps{ServerOps: ops, target: module.Version{Path: spec[:at], Version: spec[at+1 : eq]}, hash: spec[eq+1:], targetID: -1}
}

func (f *forgingOps) Lookup(ctx context.Context, m module.Version) (int64, error) {
	id, err := f.ServerOps.Lookup(ctx, m)
	if err == nil && m == f.target {
		f.targetID = id
	}
	return id, err
}

func (f *forgingOps) ReadRecords(ctx context.Context, id, n int64) ([][]byte, error) {
	list, err := f.ServerOps.ReadRecords(ctx, id, n)
	if err != nil || f.targetID < id || f.targetID >= id+n {
		return list, err
	}
	genuine := string(list[f.targetID-id])
	zipLine := f.target.Path + " " + f.target.Version + " "
	var forged strings.Builder
	for _, line := range strings.SplitAfter(genuine, "\n") {
		if strings.HasPrefix(line, zipLine) {
			line = zipLine + f.hash + "\n"
		}
		forged.WriteString(line)
	}
	out := append([][]byte(nil), list...)
	out[f.targetID-id] = []byte(forged.String())
	return out, nil
}
