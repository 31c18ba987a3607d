/* geo_sql: the one distance expression every store uses, so that the
 * directory's `near` filter and the matcher agree to the metre.
 *
 * Great-circle distance in kilometres by the haversine formula on a sphere
 * of the mean Earth radius (6371.0088 km); good to about 0.5 %, which is
 * plenty for ranking and travel limits. The arguments are SQL expressions in
 * degrees. No PostGIS. */
#ifndef CSO_DIRECTORY_GEO_SQL_H
#define CSO_DIRECTORY_GEO_SQL_H

#define GEO_SQL_KM(lat1, lon1, lat2, lon2)                                                         \
    "(12742.0176 * asin(least(1.0, sqrt(power(sin(radians((" lat2 ") - (" lat1 ")) / 2), 2)"       \
    " + cos(radians(" lat1 ")) * cos(radians(" lat2 "))"                                           \
    " * power(sin(radians((" lon2 ") - (" lon1 ")) / 2), 2)))))"

#endif
