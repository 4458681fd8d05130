/** Version reported by `hello`, /healthz and `vigil --version`. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- package.json is outside rootDir for an import
export const VERSION: string = (require('../../package.json') as { version: string }).version;
