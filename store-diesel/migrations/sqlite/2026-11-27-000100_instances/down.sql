DROP TABLE dynlog_instances;
