"""Selections of the programme dashboard beside the screen's own document: every figure, and as
screens that show only some of them would ask (tests and the benchmark suite)."""

EVERY_FIGURE = """query EveryFigure($year: Int!, $districtId: ID) {
  programmeDashboard(year: $year, districtId: $districtId) {
    pilotSchools { actual target } certifiedInstructors { actual target } serviceStations { actual target }
    teachersVisiting { actual target } familiesVisited { actual target }
    homeVisitsCompleted courseEnrollments courseCompletions trainedTeachers
    notices { sent confirmationRate } column { views completions }
    alerts { raised acknowledged acknowledgedInTime medianMinutesToAcknowledge openBySeverity { severity count } }
    byDistrict { district { id name } familiesVisited teachersVisiting alertsRaised trainedTeachers }
  }
}"""
NO_FIGURES = """query Districts($year: Int!, $districtId: ID) {
  programmeDashboard(year: $year, districtId: $districtId) { byDistrict { district { id name } } }
}"""
STOCKS = """query Stocks($year: Int!, $districtId: ID) {
  programmeDashboard(year: $year, districtId: $districtId) { pilotSchools { actual target } serviceStations { actual } }
}"""
OPEN_ALERTS = """query OpenAlerts($year: Int!, $districtId: ID) {
  programmeDashboard(year: $year, districtId: $districtId) { alerts { openBySeverity { severity count } } }
}"""
DISTRICT_VISITS = """query DistrictVisits($year: Int!, $districtId: ID) {
  programmeDashboard(year: $year, districtId: $districtId) {
    homeVisitsCompleted
    byDistrict { district { name } ... on DistrictFigures { familiesVisited } }
  }
}"""
