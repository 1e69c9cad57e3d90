-- Road ledger (issue 8): abolished routes (路線の廃止, 道路法 第10条). Kept in lockstep with
-- ../postgres/0019_road_abolition.sql. See docs/roads.md "Creating and abolishing routes".
--
-- road_routes.abolished_on: 廃止年月日 (YYYY-MM-DD), NULL while the route is in the ledger. An
--   abolished route stays in the table with its history and its 調書 versions; abolishing also
--   makes it and its sections, road-area lines and facilities non-public (public = FALSE), so
--   it leaves the OGC API, the public map and the tiles. Its number stays taken (the
--   UNIQUE (municipality_id, road_kind, route_number) constraint is unchanged), as in a paper
--   ledger where an abolished 路線番号 is not given to another route.
ALTER TABLE road_routes ADD COLUMN abolished_on TEXT;
