// Great-circle distance on the mean Earth sphere (SPEC §4: radius 6,371,008.8 m).
#pragma once

#include <cmath>

namespace d2d::core {

inline constexpr double kEarthMeanRadiusM = 6371008.8;

inline double haversine_m(double lat1_deg, double lng1_deg, double lat2_deg, double lng2_deg) {
  constexpr double kDegToRad = M_PI / 180.0;
  const double phi1 = lat1_deg * kDegToRad;
  const double phi2 = lat2_deg * kDegToRad;
  const double dphi = (lat2_deg - lat1_deg) * kDegToRad;
  const double dlambda = (lng2_deg - lng1_deg) * kDegToRad;
  const double s1 = std::sin(dphi / 2);
  const double s2 = std::sin(dlambda / 2);
  double h = s1 * s1 + std::cos(phi1) * std::cos(phi2) * s2 * s2;
  if (h > 1.0) h = 1.0;  // rounding can push antipodal points just past 1
  return 2.0 * kEarthMeanRadiusM * std::asin(std::sqrt(h));
}

}  // namespace d2d::core
