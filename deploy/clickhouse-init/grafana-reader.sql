-- A read-only ClickHouse user for Grafana. The ClickHouse plugin sets
-- max_execution_time on every query, which `readonly = 1` alone refuses
-- ("Cannot modify 'max_execution_time' setting in readonly mode"), so the
-- profile lets that one setting change while everything else stays read-only.
-- Run it as a user with access management (the compose file's default user);
-- change the password first.
CREATE SETTINGS PROFILE IF NOT EXISTS grafana_reader
    SETTINGS readonly = 1, max_execution_time = 60 CHANGEABLE_IN_READONLY;
CREATE USER IF NOT EXISTS grafana
    IDENTIFIED WITH sha256_password BY 'grafana'
    SETTINGS PROFILE 'grafana_reader';
GRANT SELECT ON reshimu.* TO grafana;
