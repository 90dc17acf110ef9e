import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** This package's version, from its package.json (works from src/ under tsx and from dist/). */
export const VERSION: string = (require('../package.json') as { version: string }).version;
