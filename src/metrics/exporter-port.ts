/** The exporter's default port, apart from the exporter (importing it loads no prom-client). */

/**
 * The default port: not dcgm-exporter's 9400 (a GPU node often runs both) nor nvidia_gpu_exporter's
 * 9835. Prometheus's list of exporter ports is full, so `--port` stays the way to settle a clash.
 */
export const DEFAULT_EXPORTER_PORT = 9402;
