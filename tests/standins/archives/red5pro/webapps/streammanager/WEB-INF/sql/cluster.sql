-- streamfleet TEST STAND-IN, not a vendor file: our own DDL, written by the streamfleet
-- maintainers in the place of webapps/streammanager/WEB-INF/sql/cluster.sql of a Red5 Pro
-- Stream Manager 1.x. The vendor's installer (red5pro/terraform-aws-red5pro
-- red5pro-installer/r5p_config_stream_manager.sh, commit 3d1ed4dc497c0194f259740704b7eacbe7788ff5,
-- config_mysql) loads that file into the database `cluster` once. The shipped file's text was
-- not available to us (it is only inside the licensed server zip), so the table and column
-- names below are ours; the role and the verifier read the table names from this file and
-- assume none.
CREATE TABLE cluster (
  id INT NOT NULL AUTO_INCREMENT,
  name VARCHAR(255) NOT NULL,
  created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id)
);

CREATE TABLE cluster_node (
  id INT NOT NULL AUTO_INCREMENT,
  cluster_id INT,
  instance_name VARCHAR(255) NOT NULL,
  role VARCHAR(32) NOT NULL,
  state VARCHAR(32) NOT NULL,
  address VARCHAR(64),
  PRIMARY KEY (id)
);

CREATE TABLE launch_config (
  id INT NOT NULL AUTO_INCREMENT,
  name VARCHAR(255) NOT NULL,
  body TEXT,
  PRIMARY KEY (id)
);

CREATE TABLE scale_policy (
  id INT NOT NULL AUTO_INCREMENT,
  name VARCHAR(255) NOT NULL,
  body TEXT,
  PRIMARY KEY (id)
);
