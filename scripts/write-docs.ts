// `npm run docs`: writes the generated documents (docs/errors.md) from the code they describe.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { errorsMarkdown } from '../bin/error-catalogs.ts';

const at = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));
writeFileSync(at('docs/errors.md'), errorsMarkdown());
process.stdout.write('wrote docs/errors.md\n');
