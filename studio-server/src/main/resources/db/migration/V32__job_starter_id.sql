-- Who started each job, by user id (started_by is the name shown): a job found again after a restart stops, as any
-- other, when its starter may no longer run code on the studio's machine. Null for jobs started before this column.
-- Plain SQL that H2, PostgreSQL and SQLite all run.
alter table studio_job add column started_by_id bigint;
