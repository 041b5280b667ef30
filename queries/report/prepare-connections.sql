-- description: report: one pass over the connections view into temp table report_connections (the columns the report-* network queries read)
-- executes: CREATE OR REPLACE TEMP TABLE report_connections
CREATE OR REPLACE TEMP TABLE report_connections AS
SELECT host, ts, client_container_id, client_container, client_addr, client_comm,
       server_container_id, server_container, server_addr, server_port, ret, bytes_sent, bytes_received
FROM connections;
