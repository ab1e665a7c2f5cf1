-- Whether the studio's jobs receive a data connection (its credentials, or short-lived ones from STS). The owner
-- decides per connection; a connection is not given to jobs unless the owner says so. H2 and PostgreSQL.
alter table data_connection add column for_jobs boolean default false not null;
