/** `npm run openapi`: writes the generated OpenAPI description to openapi.json (committed, reviewed in diffs). */
import { writeFileSync } from 'node:fs';
import { openApiDocument } from '#lib/openapi.ts';

writeFileSync(new URL('../openapi.json', import.meta.url), `${JSON.stringify(openApiDocument(), null, 2)}\n`);
console.log('openapi.json written');
