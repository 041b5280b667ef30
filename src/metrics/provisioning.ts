/**
 * Grafana file provisioning for the dashboard: a Prometheus datasource (its `timeInterval` = the
 * export step, so `$__rate_interval` never spans fewer than the samples rate() needs) and a
 * dashboard provider pointing at the dashboards folder. YAML values are written as JSON strings,
 * which YAML reads verbatim (JSON is a subset of YAML 1.2): no quoting bugs from user paths or URLs.
 */

export interface ProvisioningOptions {
  /** Where Prometheus answers (the backfilled one, or the live one). */
  prometheusUrl: string;
  /** The `contxray metrics --step` (or the live scrape interval), e.g. "15s". */
  step: string;
  /** Absolute path Grafana reads the dashboard JSON from. */
  dashboardsPath: string;
}

export const DATASOURCE_NAME = 'contxray-prometheus';

const q = (v: string) => JSON.stringify(v);

export function datasourceYaml(o: ProvisioningOptions): string {
  return [
    '# Grafana datasource provisioning, written by `contxray grafana`.',
    '# timeInterval = the contxray metrics --step: rate() panels need at least two samples per window.',
    'apiVersion: 1',
    'datasources:',
    `  - name: ${q(DATASOURCE_NAME)}`,
    '    type: "prometheus"',
    '    access: "proxy"',
    `    url: ${q(o.prometheusUrl)}`,
    '    editable: true',
    '    jsonData:',
    `      timeInterval: ${q(o.step)}`,
    '',
  ].join('\n');
}

export function dashboardProviderYaml(o: ProvisioningOptions): string {
  return [
    '# Grafana dashboard provider, written by `contxray grafana`.',
    'apiVersion: 1',
    'providers:',
    '  - name: "contxray"',
    '    type: "file"',
    '    folder: "contxray"',
    '    disableDeletion: false',
    '    allowUiUpdates: true',
    '    options:',
    `      path: ${q(o.dashboardsPath)}`,
    '',
  ].join('\n');
}
