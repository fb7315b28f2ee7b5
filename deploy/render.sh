#!/usr/bin/env bash
# Re-renders deploy/modproxy.yaml from helm/modproxy with the chart's default values.
# Uses the same helm library as the tests (through Maven), so no helm binary is needed and the
# output is exactly what PlainManifestsTest expects.
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -pl helm test -Dtest=PlainManifestsTest -Dmodproxy.deploy.refresh=true -Dsurefire.failIfNoSpecifiedTests=false
echo "deploy/modproxy.yaml refreshed from helm/modproxy"
