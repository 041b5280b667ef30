-- description: export: which view each exported kind comes from (used by `contxray export`, after export-views)
-- returns: kind VARCHAR, view VARCHAR
SELECT * FROM (VALUES
  ('syscall', 'syscalls'), ('exec', 'execs'), ('process', 'processes'), ('open', 'opens'),
  ('net', 'export_net_events'), ('connection', 'connections'), ('container', 'containers'), ('stats', 'stats'),
  ('resource', 'resources'), ('capture', 'export_captures')
) t(kind, view);
