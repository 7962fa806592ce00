/**
 * `npm run build:dashboard`: bundles dashboard/ with esbuild into one HTML page and writes it, with the
 * hashes its Content-Security-Policy allows, to functions/meta/dashboard-page.generated.ts. A module of
 * plain strings works the same bundled by serverless-esbuild, under `npm start` and in tests; a test
 * keeps it equal to a fresh build.
 */
import { writeFileSync } from 'node:fs';
import { buildDashboardPage } from './dashboard-page.ts';

const target = new URL('../functions/meta/dashboard-page.generated.ts', import.meta.url);
writeFileSync(target, await buildDashboardPage());
console.log('functions/meta/dashboard-page.generated.ts written');
