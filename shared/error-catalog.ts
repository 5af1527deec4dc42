// The one error convention of the project. Every service keeps its stable codes in one catalog
// (broker/errors.ts, ingest/errors.ts, ingest/store/errors.ts, ingest/alerts/errors.ts,
// screen/server/errors.ts, bin/errors.ts, ...): kebab-case codes, each with an explicit `retriable`
// flag and a one-line description, listed for users in docs/errors.md (a test keeps it complete).
// Errors are thrown as `new XError(code, detail?, options?)`; codedErrorClass() builds the class.

/** One code of a catalog. Extra fields (a CONNACK return code, an HTTP status) sit beside these. */
export interface ErrorSpec {
  /** Whether trying the same thing again unchanged may succeed (the cause is passing). */
  readonly retriable: boolean;
  /** One line for logs and docs/errors.md. */
  readonly description: string;
}

export type ErrorCatalog = Readonly<Record<string, ErrorSpec>>;

/** A code whose cause does not pass by itself: the same thing again fails again. */
export const final = (description: string) => ({ retriable: false, description }) as const;

const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Declares a catalog; refuses (at load time) a code that is not kebab-case. */
export function defineCatalog<C extends Record<string, ErrorSpec>>(catalog: C): Readonly<C> {
  for (const code of Object.keys(catalog)) {
    if (!KEBAB.test(code)) throw new TypeError(`error code ${JSON.stringify(code)} is not kebab-case`);
  }
  return Object.freeze(catalog);
}

export interface CodedErrorOptions {
  cause?: unknown;
}

/** What every coded error carries. */
export interface CodedError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly retriable: boolean;
}

export type CodedErrorClass<C extends ErrorCatalog, Opts extends CodedErrorOptions> = {
  new (code: keyof C & string, detail?: string, options?: Opts): CodedError<keyof C & string> & Omit<Opts, 'cause'>;
  readonly catalog: C;
};

export interface CodedErrorClassOptions {
  /**
   * How the message is made: `description-detail` (default) = "description: detail" (the detail
   * adds to the code's line); `detail` = the detail alone when given (it is a full sentence for a
   * user, e.g. a configuration error), else the description.
   */
  message?: 'description-detail' | 'detail';
}

/**
 * Builds an error class over a catalog: `new XError(code, detail?, options?)`; `retriable` comes
 * from the catalog; options other than `cause` (e.g. an HTTP status) become fields of the error.
 */
export function codedErrorClass<C extends ErrorCatalog, Opts extends CodedErrorOptions = CodedErrorOptions>(
  name: string,
  catalog: C,
  how: CodedErrorClassOptions = {},
): CodedErrorClass<C, Opts> {
  const onlyDetail = how.message === 'detail';
  const cls = class extends Error {
    static readonly catalog = catalog;
    readonly code: keyof C & string;
    readonly retriable: boolean;

    constructor(code: keyof C & string, detail?: string, options?: Opts) {
      const spec = catalog[code];
      if (!spec) throw new TypeError(`${name}: unknown error code ${JSON.stringify(code)}`);
      const message = detail === undefined || detail === '' ? spec.description : onlyDetail ? detail : `${spec.description}: ${detail}`;
      super(message, options?.cause === undefined ? undefined : { cause: options.cause });
      this.name = name;
      this.code = code;
      this.retriable = spec.retriable;
      if (options) {
        for (const [k, v] of Object.entries(options)) if (k !== 'cause' && v !== undefined) (this as Record<string, unknown>)[k] = v;
      }
    }
  };
  Object.defineProperty(cls, 'name', { value: name });
  return cls as unknown as CodedErrorClass<C, Opts>;
}
