/** The report's default bounds, apart from the report code: `contxray report --help` shows them without loading it. */
export const DEFAULT_MAX_ROWS = 50;
/**
 * Containers shown in detail by default. Each section costs ~15 KB and four charts, so the page
 * stays well under 1 MB however many containers the capture holds; the rest are table rows.
 */
export const DEFAULT_MAX_CONTAINERS = 20;
