package io.flotilla.subnode.config;

/** The five ports of a subnode ({@link PortLayout}): each from 1 to 65535. */
public record Ports(int consensus, int catchUp, int rpcHttp, int rpcWs, int metrics) {

    public Ports {
        port("consensus", consensus);
        port("catchUp", catchUp);
        port("rpcHttp", rpcHttp);
        port("rpcWs", rpcWs);
        port("metrics", metrics);
    }

    /** The ports of the slot whose first (consensus) port is {@code first}. */
    public static Ports from(int first) {
        return new Ports(first + PortLayout.CONSENSUS, first + PortLayout.CATCH_UP, first + PortLayout.RPC_HTTP,
                first + PortLayout.RPC_WS, first + PortLayout.METRICS);
    }

    private static void port(String field, int port) {
        if (port < 1 || port > 65535) {
            throw new ConfigException(field, "is not a port number (1-65535): " + port);
        }
    }
}
