module modproxy.dev/bench/hitload

go 1.26
