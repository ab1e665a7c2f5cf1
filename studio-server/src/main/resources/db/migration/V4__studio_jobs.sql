-- Jobs run from a studio, with their parameters and outcome. Logs are files under <data>/jobs. H2 and PostgreSQL.
create table studio_job (
    id           varchar(36)  primary key,
    studio_id    varchar(36)  not null references studio (id) on delete cascade,
    number       integer      not null,
    entry_point  varchar(512) not null,
    args         text         not null,
    nodes        integer      not null,
    devices      integer      not null,
    machine_type varchar(64)  not null,
    status       varchar(16)  not null,
    detail       text,
    started_by   varchar(200) not null,
    created_at   timestamp with time zone not null,
    started_at   timestamp with time zone,
    ended_at     timestamp with time zone,
    diagnostics  text,
    unique (studio_id, number)
);
