-- Version 4: each window's clerk baseline (the learner's samples as JSON:
-- shoulder and face keypoint positions in pixels, numbers only, no image),
-- so that a restart keeps what the rules judge posture against.
CREATE TABLE baseline (
    window       TEXT    PRIMARY KEY,
    learner_json TEXT    NOT NULL,
    updated_unix INTEGER NOT NULL
);
