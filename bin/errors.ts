// Stable error codes of the CLI edge (the convention: shared/error-catalog.ts; listed in
// docs/errors.md). A configuration error stops the start with exit code 2 and the detail as the
// message (it names the flag or variable).
import { codedErrorClass, defineCatalog } from '../shared/error-catalog.ts';

export const CLI_ERRORS = defineCatalog({
  'config-invalid': { retriable: false, description: 'a flag, environment variable or command line is invalid (exit 2)' },
});

export type CliErrorCode = keyof typeof CLI_ERRORS;

export class ConfigError extends codedErrorClass('ConfigError', CLI_ERRORS, { message: 'detail' }) {}
