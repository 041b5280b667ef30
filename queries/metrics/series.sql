-- The OpenMetrics samples, streamed in output order: one point per step per series from its first
-- increment to the end of every capture of its host after that (a counter keeps its value while the
-- recorder ran and saw nothing more, so rate() is 0 there rather than a gap), cumulative across
-- steps and captures. Gauges (container_info) are 1. Ordered by family, series, time: each series is
-- time-ascending without duplicates, as promtool's backfill requires.
WITH p AS (SELECT step_ns FROM metrics_params),
inc AS (
  SELECT family, host, container_id, container, l1, l2, t_ns, sum(v) AS v FROM metric_increments GROUP BY ALL
),
spans AS (
  SELECT host, capture_id, min(t_ns) AS lo, max(t_ns) AS hi FROM metric_increments GROUP BY ALL
),
grid AS (
  SELECT DISTINCT host, unnest(range(lo, hi + step_ns, step_ns)) AS t_ns FROM spans, p
),
series AS (
  SELECT family, host, container_id, container, l1, l2, min(t_ns) AS first_ns FROM inc GROUP BY ALL
)
SELECT s.family, s.host, s.container_id, s.container, s.l1, s.l2, g.t_ns,
       CASE WHEN s.family = 'container_info' THEN 1::HUGEINT
            ELSE sum(coalesce(i.v, 0)) OVER (PARTITION BY s.family, s.host, s.container_id, s.container, s.l1, s.l2 ORDER BY g.t_ns) END AS value
FROM series s
JOIN grid g ON g.host = s.host AND g.t_ns >= s.first_ns
LEFT JOIN inc i ON i.family = s.family AND i.host = s.host AND i.container_id = s.container_id AND i.container = s.container
                AND i.l1 = s.l1 AND i.l2 = s.l2 AND i.t_ns = g.t_ns
ORDER BY s.family, s.host, s.container_id, s.container, s.l1, s.l2, g.t_ns;
