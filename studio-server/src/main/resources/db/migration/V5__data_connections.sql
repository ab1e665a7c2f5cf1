-- A studio's data connections (S3, Snowflake). settings holds what may be shown (bucket, region, endpoint);
-- secret holds the credentials, AES-GCM encrypted (see SecretBox), never sent to a browser. H2 and PostgreSQL.
create table data_connection (
    id         varchar(36)  primary key,
    studio_id  varchar(36)  not null references studio (id) on delete cascade,
    name       varchar(100) not null,
    kind       varchar(16)  not null,
    settings   text         not null,
    secret     text         not null,
    created_by varchar(200) not null,
    created_at timestamp with time zone not null,
    unique (studio_id, name)
);
