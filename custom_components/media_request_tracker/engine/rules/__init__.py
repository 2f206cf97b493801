"""One rules module per evidence family, mirroring `sources/`.

A rule adds facts to the requests the evidence is about and returns a `Finding` for
each; settling states and re-indexing is the tracker's job, done once per finding.
"""
