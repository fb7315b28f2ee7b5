package dev.modproxy.proxy.http;

/**
 * The {@code uri} label of the request metrics ({@code http_server_requests_seconds}, {@link RequestMetrics}):
 * the route, never the raw path (module paths are unbounded). {@link RouteTable} gives each route whose
 * label depends on the path one of these functions, so the metrics need no list of regular expressions
 * tried against every request's path.
 */
final class RouteLabels {

    static final String LIST = "/{module}/@v/list";
    static final String LATEST = "/{module}/@latest";
    static final String INFO = "/{module}/@v/{version}.info";
    static final String MOD = "/{module}/@v/{version}.mod";
    static final String ZIP = "/{module}/@v/{version}.zip";
    static final String OTHER = "/{other}";

    private RouteLabels() {}

    /** The GOPROXY route a path asks for, from its ending alone: refused paths are labelled by the route they tried. */
    static String goProxy(String path) {
        if (path.endsWith("/@v/list")) {
            return LIST;
        }
        if (path.endsWith("/@latest")) {
            return LATEST;
        }
        int versions = path.lastIndexOf("/@v/");
        if (versions >= 0 && path.indexOf('/', versions + "/@v/".length()) < 0) {
            if (path.endsWith(".info")) {
                return INFO;
            }
            if (path.endsWith(".mod")) {
                return MOD;
            }
            if (path.endsWith(".zip")) {
                return ZIP;
            }
        }
        return OTHER;
    }

    /** The checksum database route of a path under /sumdb/. */
    static String sumDb(String path) {
        int name = "/sumdb/".length();
        int slash = path.indexOf('/', name);
        if (slash < 0) {
            return OTHER;
        }
        String rest = path.substring(slash + 1);
        if (rest.equals("supported")) {
            return "/sumdb/{name}/supported";
        }
        if (rest.equals("latest")) {
            return "/sumdb/{name}/latest";
        }
        if (rest.startsWith("lookup/")) {
            return "/sumdb/{name}/lookup/{module}";
        }
        if (rest.startsWith("tile/")) {
            return "/sumdb/{name}/tile/{tile}";
        }
        return OTHER;
    }
}
