#!/usr/bin/env node
// the start-up path bundled into one file by scripts/bundle-cli.mjs (npm run build); commands load from dist/src
import { main } from '../dist/src/cli/main.bundle.js';
main(process.argv.slice(2));
