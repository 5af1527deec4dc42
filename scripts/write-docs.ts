// `npm run docs`: writes the generated documents (docs/errors.md, docs/settings.md) from the code they describe.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { errorsMarkdown } from '../bin/error-catalogs.ts';
import { settingsMarkdown } from '../bin/config/settings-doc.ts';

const at = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));
for (const [file, text] of [['docs/errors.md', errorsMarkdown()], ['docs/settings.md', settingsMarkdown()]] as const) {
  writeFileSync(at(file), text);
  process.stdout.write(`wrote ${file}\n`);
}
