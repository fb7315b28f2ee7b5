module modproxy.dev/bench/slowmirror

go 1.26
