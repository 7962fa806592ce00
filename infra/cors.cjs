// The origins API Gateway's CORS configuration allows: CORS_ORIGINS, comma-separated (default `*`), as
// the list serverless.yml needs (its variables cannot split a string). The functions read the same
// variable for their own CORS headers (functions/http/handler.ts).
module.exports = () =>
  (process.env.CORS_ORIGINS || '*')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
