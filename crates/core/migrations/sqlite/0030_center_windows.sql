-- The departments that have a window at a 政务服务中心 (进驻部门): the
-- centre's window clerks accept applications for the items of these
-- departments and of the bodies below them. Existing centres start with
-- every department of their own division, which is what acceptance
-- assumed before this table.
CREATE TABLE center_windows (
    center_id   BIGINT NOT NULL REFERENCES organizations (id),
    org_id      BIGINT NOT NULL REFERENCES organizations (id),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (center_id, org_id)
);
CREATE INDEX center_windows_org ON center_windows (org_id);
INSERT INTO center_windows (center_id, org_id, created_at)
SELECT c.id, o.id, 0 FROM organizations c
JOIN organizations o ON o.division_code = c.division_code AND o.kind = 'department'
WHERE c.kind = 'service_center';
