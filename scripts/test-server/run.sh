#!/bin/sh
# Started by @temporalio/testing as `<this> <port>`; it kills this pid at teardown, so java must replace the shell.
LIB="$(cd "$(dirname "$0")/../.." && pwd)/.tools/temporal-test-server/lib"
exec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -cp "$LIB/*" io.temporal.testserver.TestServer "$@"
