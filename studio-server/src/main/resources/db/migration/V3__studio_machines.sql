-- What each studio's machine should be (the reconciler makes it so). Runs on H2 and PostgreSQL.
create table studio_machine (
    studio_id     varchar(36) primary key references studio (id) on delete cascade,
    machine_type  varchar(64) not null,
    running       boolean     not null,
    fallback_type varchar(64),
    updated_at    timestamp with time zone not null
);
