-- description: export: views the exported kinds read that differ from the analysis views (net_events' own kind column is called `event` in exports, next to the partition's kind)
-- executes: CREATE OR REPLACE TEMP VIEW export_net_events
CREATE OR REPLACE TEMP VIEW export_net_events AS
SELECT * EXCLUDE (kind), kind AS event FROM net_events;
