health and metrics are served on the management port (QUARKUS_MANAGEMENT_PORT, default 9000)
