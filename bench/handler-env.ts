/**
 * The environment of the handler benches, imported first so that it is set before any handler module
 * (and the logger and metrics they create at load) is evaluated: known tokens, and no log lines or
 * metrics output among the rows.
 */
process.env.READER_TOKEN = 'reader-token-for-the-bench-0123456789';
process.env.ADMIN_TOKEN = 'admin-token-for-the-bench-0123456789';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.TABLE_NAME ??= 'bench-unused';
