-- description: report: how many containers each --container value ($wanted: JSON list) matches by name, full id or id prefix (≥ 4 characters)
-- params: wanted
-- returns: wanted VARCHAR, matches BIGINT
WITH w AS (SELECT unnest(from_json($wanted, '["VARCHAR"]')) AS w)
SELECT w.w AS wanted,
       (SELECT count(*) FROM containers c
        WHERE c.container_id IS NOT NULL
          AND (c.name = w.w OR c.container_id = w.w OR (length(w.w) >= 4 AND starts_with(c.container_id, w.w)))) AS matches
FROM w;
