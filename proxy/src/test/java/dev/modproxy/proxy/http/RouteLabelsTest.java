package dev.modproxy.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The metrics' uri label names the route a path asked for, refused or not, and never the path itself. */
class RouteLabelsTest {

    @Test
    void eachGoProxyEndpointHasItsRoute() {
        assertEquals("/{module}/@v/list", RouteLabels.goProxy("/example.com/lib/@v/list"));
        assertEquals("/{module}/@latest", RouteLabels.goProxy("/example.com/lib/@latest"));
        assertEquals("/{module}/@v/{version}.info", RouteLabels.goProxy("/example.com/lib/@v/v1.0.0.info"));
        assertEquals("/{module}/@v/{version}.mod", RouteLabels.goProxy("/example.com/!lib/@v/v1.0.0.mod"));
        assertEquals("/{module}/@v/{version}.zip", RouteLabels.goProxy("/example.com/lib/v2/@v/v2.0.0.zip"));
    }

    @Test
    void aRefusedPathIsLabelledByTheRouteItTried() {
        assertEquals("/{module}/@v/{version}.mod", RouteLabels.goProxy("/Example.com/lib/@v/v1.0.0.mod"));
        assertEquals("/{module}/@v/{version}.info", RouteLabels.goProxy("/example.com/lib/@v/master.info"));
    }

    @Test
    void anythingElseIsOther() {
        assertEquals("/{other}", RouteLabels.goProxy("/example.com/lib/@v/v1.0.0.zip/extra"));
        assertEquals("/{other}", RouteLabels.goProxy("/example.com/lib/@v/v1.0.0.tar"));
        assertEquals("/{other}", RouteLabels.goProxy("/no/such/thing"));
        assertEquals("/{other}", RouteLabels.goProxy("/"));
    }

    @Test
    void checksumDatabasePathsHaveTheirRoutes() {
        assertEquals("/sumdb/{name}/supported", RouteLabels.sumDb("/sumdb/sum.golang.org/supported"));
        assertEquals("/sumdb/{name}/latest", RouteLabels.sumDb("/sumdb/sum.golang.org/latest"));
        assertEquals(
                "/sumdb/{name}/lookup/{module}",
                RouteLabels.sumDb("/sumdb/sum.golang.org/lookup/example.com/lib@v1.0.0"));
        assertEquals("/sumdb/{name}/tile/{tile}", RouteLabels.sumDb("/sumdb/sum.golang.org/tile/8/0/001"));
        assertEquals("/{other}", RouteLabels.sumDb("/sumdb/sum.golang.org"));
        assertEquals("/{other}", RouteLabels.sumDb("/sumdb/sum.golang.org/other"));
    }
}
