-- Label values are hostile (container names, images, stat names): bounded here, before grouping,
-- so two long values cut to the same text become one series rather than duplicate samples.
-- Same rule as boundLabel() in src/metrics/labels.ts (checked by test/unit/metrics.test.ts).
CREATE OR REPLACE TEMP MACRO metrics_clean(v) AS regexp_replace(v, '[\x00-\x09\x0b-\x1f\x7f]', '�', 'g');
CREATE OR REPLACE TEMP MACRO metrics_label(v) AS
  CASE WHEN length(metrics_clean(v)) > 128 THEN left(metrics_clean(v), 127) || '…' ELSE metrics_clean(v) END;
