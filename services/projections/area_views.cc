#include "services/projections/area_views.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "services/domain/aggregates.h"
#include "hotspot/v1/query_service.pb.h"
#include "services/projections/view_util.h"
#include "store/status_macros.h"

namespace hotspot::projections {
namespace {

using K = v1::Event::KindCase;

// Lets `change` edit the escalation `id` in place (a missing one is left alone); its index rows
// follow the change (level, resolved) when the batch is written.
template <typename Fn>
absl::Status UpdateEscalation(Rows& rows, const std::string& id, Fn change) {
  ASSIGN_OR_RETURN(v1::EscalationView* const e, rows.Edit(EscalationKey(id), &EscalationIndexKeys));
  if (e != nullptr) change(*e);
  return absl::OkStatus();
}

}  // namespace

std::string EscalationsOfAreaWhere(absl::string_view area_id, absl::string_view agency_id,
                                   bool open_only, int level) {
  IndexFamily family;
  if (!agency_id.empty()) family.Add("agency", agency_id);
  if (open_only) family.Add("open", "");
  if (level != 0) family.Add("level", absl::StrFormat("%02d", level));
  return family.Prefix(area_id);
}

std::vector<std::string> EscalationIndexKeys(const v1::EscalationView& e) {
  const std::string time = TimeKey(e.raised_at(), e.escalation_id());
  // Under every combination of the filters it passes: each one set to its value or unset.
  std::vector<std::string> agencies = {""}, keys;
  if (!e.target_agency_id().empty()) agencies.push_back(e.target_agency_id());
  std::vector<bool> opens = {false};
  if (!e.resolved()) opens.push_back(true);
  std::vector<int> levels = {0};
  if (e.level() != 0) levels.push_back(e.level());
  for (const std::string& agency : agencies) {
    for (const bool open : opens) {
      for (const int level : levels) {
        keys.push_back(
            absl::StrCat(EscalationsOfAreaWhere(e.area_id(), agency, open, level), time));
      }
    }
  }
  return keys;
}

std::vector<std::string> MeetingIndexKeys(const v1::MeetingView& m) {
  const std::string time = TimeKey(m.scheduled_at(), m.meeting_id());
  return {absl::StrCat(MeetingsOfArea(m.area_id()), time),
          absl::StrCat(MeetingsOfAreaAndBody(m.area_id(), m.body_id()), time)};
}

absl::Status EscalationsView::Apply(const store::RecordedEvent& recorded, const v1::Event& event,
                                    Rows& rows) {
  const absl::Time at = recorded.metadata.occurred_at;
  switch (event.kind_case()) {
    case K::kEscalationRaised: {
      const v1::EscalationRaised& r = event.escalation_raised();
      v1::EscalationView e;
      e.set_escalation_id(r.escalation_id());
      e.set_area_id(event.area_id());
      e.set_target_agency_id(r.target_agency_id());
      e.set_level(r.level());
      e.set_raised_by(event.actor().person());
      *e.mutable_raised_at() = Ts(at);
      e.set_youth_id(r.youth_id());
      *e.mutable_commitment_ids() = r.commitment_ids();
      FromText(r.reason(), e.mutable_reason());
      e.set_days_to_resolve(-1);
      RETURN_IF_ERROR(
          rows.Replace(EscalationKey(r.escalation_id()), std::move(e), &EscalationIndexKeys));
      return absl::OkStatus();
    }
    case K::kEscalationAcknowledged:
      return UpdateEscalation(rows, event.escalation_acknowledged().escalation_id(),
                              [&](v1::EscalationView& e) {
                                e.set_acknowledged(true);
                                *e.mutable_acknowledged_at() = Ts(at);
                                e.set_acknowledgement_overdue(false);
                              });
    case K::kEscalationMovedUp:
      return UpdateEscalation(rows, event.escalation_moved_up().escalation_id(),
                              [&](v1::EscalationView& e) {
                                v1::EscalationMove* move = e.add_moves();
                                move->set_from_level(event.escalation_moved_up().from_level());
                                move->set_to_level(event.escalation_moved_up().to_level());
                                *move->mutable_at() = Ts(at);
                                e.set_level(event.escalation_moved_up().to_level());
                                e.set_acknowledged(false);
                                e.clear_acknowledged_at();
                                e.set_acknowledgement_overdue(false);
                              });
    case K::kEscalationNotAcknowledged:
      return UpdateEscalation(rows, event.escalation_not_acknowledged().escalation_id(),
                              [&](v1::EscalationView& e) {
                                if (!e.acknowledged() && !e.resolved())
                                  e.set_acknowledgement_overdue(true);
                              });
    case K::kAgencyEscalated:
      rows.Put(EscalationAtAgencyKey(event.agency_escalated().escalation_id()), "");
      return absl::OkStatus();
    case K::kEscalationResolved:
      return UpdateEscalation(
          rows, event.escalation_resolved().escalation_id(), [&](v1::EscalationView& e) {
            e.set_resolved(true);
            *e.mutable_resolved_at() = Ts(at);
            FromText(event.escalation_resolved().outcome(), e.mutable_outcome());
            e.set_days_to_resolve(Days(e.raised_at(), at));
          });
    default:
      return absl::OkStatus();
  }
}

absl::Status AreaView::Apply(const store::RecordedEvent& recorded, const v1::Event& event,
                             Rows& rows) {
  const absl::Time at = recorded.metadata.occurred_at;
  switch (event.kind_case()) {
    case K::kProgrammeAdopted: {
      const v1::ProgrammeAdopted& adopted = event.programme_adopted();
      v1::ProgrammeView programme;
      programme.set_area_id(adopted.area_id());
      programme.set_revision(adopted.revision());
      *programme.mutable_goals() = adopted.goals();
      programme.set_summary(adopted.summary());
      *programme.mutable_adopted_at() = Ts(at);
      programme.set_council_reference(adopted.council_reference());
      if (adopted.has_council_decided_on()) {
        *programme.mutable_council_decided_on() = adopted.council_decided_on();
      }
      *programme.mutable_hearings() = adopted.hearings();
      PutRow(rows, ProgrammeKey(adopted.area_id()), std::move(programme));
      return absl::OkStatus();
    }
    case K::kProgrammeRevised: {
      const v1::ProgrammeRevised& revised = event.programme_revised();
      return UpdateRow<v1::ProgrammeView>(
          rows, ProgrammeKey(revised.area_id()), [&](v1::ProgrammeView& programme) {
            programme.set_revision(revised.revision());
            *programme.mutable_goals() = revised.goals();
            v1::ProgrammeRevisionView* revision = programme.add_revisions();
            revision->set_revision(revised.revision());
            *revision->mutable_goals() = revised.goals();
            revision->set_reason(revised.reason());
            *revision->mutable_revised_at() = Ts(at);
            revision->set_proposal_id(revised.proposal_id());
            revision->set_meeting_id(revised.meeting_id());
            revision->set_decision_id(revised.decision_id());
            // Approved: no longer awaiting approval.
            auto* proposed = programme.mutable_proposed();
            proposed->erase(std::remove_if(proposed->begin(), proposed->end(),
                                           [&](const v1::ProgrammeRevisionView& p) {
                                             return !revised.proposal_id().empty() &&
                                                    p.proposal_id() == revised.proposal_id();
                                           }),
                            proposed->end());
          });
    }
    case K::kProgrammeRevisionProposed: {
      const v1::ProgrammeRevisionProposed& p = event.programme_revision_proposed();
      return UpdateRow<v1::ProgrammeView>(
          rows, ProgrammeKey(p.area_id()), [&](v1::ProgrammeView& programme) {
            v1::ProgrammeRevisionView* proposal = programme.add_proposed();
            *proposal->mutable_goals() = p.goals();
            proposal->set_reason(p.reason());
            proposal->set_proposal_id(p.proposal_id());
            *proposal->mutable_revised_at() = Ts(at);
          });
    }
    case K::kSteeringDecisionRecorded: {
      const v1::SteeringDecisionRecorded& d = event.steering_decision_recorded();
      return UpdateRow<v1::ProgrammeView>(
          rows, ProgrammeKey(d.area_id()), [&](v1::ProgrammeView& programme) {
            v1::SteeringDecisionView* view = programme.add_steering_decisions();
            *view->mutable_decision() = d.decision();
            view->set_meeting_id(d.meeting_id());
            view->set_decision_id(d.decision_id());
            *view->mutable_decided_at() = Ts(at);
          });
    }
    case K::kAgencyAreaLinked: {
      const v1::AgencyAreaLinked& linked = event.agency_area_linked();
      rows.Put(absl::StrCat(AgenciesOfArea(linked.area_id()), linked.agency_id()), "");
      return UpdateRow<v1::AgencyView>(rows, AgencyKey(linked.agency_id()),
                                       [&](v1::AgencyView& agency) {
                                         AddUnique(agency.mutable_area_ids(), linked.area_id());
                                       });
    }
    case K::kAgencyRegistered: {
      const v1::AgencyRegistered& registered = event.agency_registered();
      v1::AgencyView agency;
      agency.set_agency_id(registered.agency_id());
      agency.set_name(registered.name());
      agency.set_kind(registered.kind());
      agency.add_area_ids(registered.area_id());
      agency.set_self_governing_institution(registered.self_governing_institution());
      *agency.mutable_registered_at() = Ts(at);
      rows.Put(absl::StrCat(AgenciesOfArea(registered.area_id()), registered.agency_id()), "");
      PutRow(rows, AgencyKey(registered.agency_id()), std::move(agency));
      return absl::OkStatus();
    }
    case K::kChiefAppointed: {
      v1::LeadershipContact chief;
      chief.set_person(event.chief_appointed().person());
      PutRow(rows, ChiefKey(event.chief_appointed().area_id()), std::move(chief));
      return absl::OkStatus();
    }
    case K::kLeadershipLadderSet:
      return UpdateRow<v1::AgencyView>(
          rows, AgencyKey(event.leadership_ladder_set().agency_id()), [&](v1::AgencyView& agency) {
            agency.clear_ladder();
            for (const v1::LeadershipContact& rung : event.leadership_ladder_set().contacts()) {
              // The police's ladder has no mayor (review 13b, N6): a police ladder of before
              // may name one at LEADERSHIP_LEVEL_POLITICAL, which nobody answers at (the
              // police director does, domain::ContactFor); the directory leaves that rung out.
              if (agency.kind() == v1::AGENCY_KIND_POLICE &&
                  rung.level() == v1::LEADERSHIP_LEVEL_POLITICAL) {
                continue;
              }
              *agency.add_ladder() = rung;
            }
          });
    case K::kAgencyPeopleNamed:
      return UpdateRow<v1::AgencyView>(
          rows, AgencyKey(event.agency_people_named().agency_id()), [&](v1::AgencyView& agency) {
            *agency.mutable_people() = event.agency_people_named().persons();
          });
    case K::kPoliceCoordinatorDesignated: {
      const v1::PoliceCoordinatorDesignated& designated = event.police_coordinator_designated();
      return UpdateRow<v1::AgencyView>(
          rows, AgencyKey(designated.agency_id()), [&](v1::AgencyView& agency) {
            (*agency.mutable_police_coordinators())[designated.area_id()] = designated.person();
          });
    }
    case K::kMeasureDefined: {
      const v1::MeasureDefined& defined = event.measure_defined();
      v1::MeasureDefinition row;
      row.set_measure(defined.measure());
      row.set_owning_agency_id(defined.owning_agency_id());
      row.set_definition(defined.definition());
      row.set_unit(defined.unit());
      PutRow(rows, absl::StrCat("measure/", defined.area_id(), "/", defined.measure()), row);
      return absl::OkStatus();
    }
    case K::kHalfYearlyReportMissing: {
      const v1::HalfYearlyReportMissing& missing = event.half_yearly_report_missing();
      v1::MissingReport row;
      *row.mutable_half_year_end() = missing.half_year_end();
      row.set_grace_days(missing.grace_days());
      *row.mutable_flagged_at() = Ts(at);
      PutRow(rows, MissingReportKey(missing.area_id(), missing.half_year_end()), row);
      return absl::OkStatus();
    }
    case K::kReportSubmitted: {
      const v1::ReportSubmitted& report = event.report_submitted();
      if (report.kind() == v1::REPORT_KIND_HALF_YEARLY) {
        // A half-yearly report of a half-year flagged missing: it came late.
        const v1::Date& end = report.period_end();
        v1::Date half_year_end;
        half_year_end.set_year(end.year());
        half_year_end.set_month(end.month() <= 6 ? 6 : 12);
        half_year_end.set_day(end.month() <= 6 ? 30 : 31);
        RETURN_IF_ERROR(UpdateRow<v1::MissingReport>(
            rows, MissingReportKey(report.area_id(), half_year_end), [&](v1::MissingReport& m) {
              if (!m.has_submitted_at()) *m.mutable_submitted_at() = Ts(at);
            }));
      }
      v1::SubmittedReport row;
      *row.mutable_report() = report;
      *row.mutable_submitted_at() = Ts(at);
      row.set_submitted_by(event.actor().person());
      row.set_position(recorded.position);
      PutRow(rows,
             absl::StrFormat(
                 "%s%020d",
                 ReportKeyPrefix(report.area_id(), report.period_start(), report.period_end()),
                 recorded.position),
             row);
      return absl::OkStatus();
    }
    case K::kMeasurementRecorded:
      break;
    default:
      return absl::OkStatus();
  }
  const v1::MeasurementRecorded& m = event.measurement_recorded();
  v1::Measurement row;
  row.set_measure(m.measure());
  row.set_scope(m.scope());
  *row.mutable_measured_on() = m.measured_on();
  row.set_value(m.value());
  row.set_source(m.source());
  row.set_age_group(m.age_group());
  // A figure by age group has a row of its own beside the one for all ages (whose key is as
  // before the split).
  PutRow(rows,
         absl::StrCat(absl::StrFormat("measurement/%s/%s/%d/%04d%02d%02d", m.area_id(), m.measure(),
                                      m.scope(), m.measured_on().year(), m.measured_on().month(),
                                      m.measured_on().day()),
                      m.age_group() == v1::AGE_GROUP_UNSPECIFIED
                          ? ""
                          : absl::StrCat("/", static_cast<int>(m.age_group()))),
         row);
  return absl::OkStatus();
}

std::string MissingReportKey(absl::string_view area_id, const v1::Date& half_year_end) {
  return absl::StrCat(MissingReportsKeyPrefix(area_id),
                      absl::StrFormat("%04d%02d%02d", half_year_end.year(), half_year_end.month(),
                                      half_year_end.day()));
}

std::string ReportKeyPrefix(absl::string_view area_id, const v1::Date& start, const v1::Date& end) {
  return absl::StrCat(ReportsKeyPrefix(area_id),
                      absl::StrFormat("%04d%02d%02d-%04d%02d%02d/", start.year(), start.month(),
                                      start.day(), end.year(), end.month(), end.day()));
}

absl::Status MeetingsView::Apply(const store::RecordedEvent& recorded, const v1::Event& event,
                                 Rows& rows) {
  const absl::Time at = recorded.metadata.occurred_at;
  switch (event.kind_case()) {
    case K::kBodyConstituted: {
      const v1::BodyConstituted& b = event.body_constituted();
      v1::BodyView body;
      body.set_area_id(b.area_id());
      body.set_body_id(b.body_id());
      body.set_kind(b.kind());
      body.set_name(b.name());
      *body.mutable_members() = b.members();
      *body.mutable_cadence() = b.cadence();
      *body.mutable_constituted_at() = Ts(at);
      PutRow(rows, BodyKey(b.area_id(), b.body_id()), body);
      return absl::OkStatus();
    }
    case K::kMeetingScheduled: {
      const v1::MeetingScheduled& m = event.meeting_scheduled();
      v1::MeetingView meeting;
      meeting.set_meeting_id(m.meeting_id());
      meeting.set_area_id(event.area_id());
      meeting.set_body_id(m.body_id());
      *meeting.mutable_scheduled_at() = m.scheduled_at();
      RETURN_IF_ERROR(
          rows.Replace(MeetingKey(m.meeting_id()), std::move(meeting), &MeetingIndexKeys));
      return absl::OkStatus();
    }
    case K::kMeetingHeld: {
      const v1::MeetingHeld& held = event.meeting_held();
      std::string body_key;
      RETURN_IF_ERROR(
          UpdateRow<v1::MeetingView>(rows, MeetingKey(held.meeting_id()), [&](v1::MeetingView& m) {
            m.set_held(true);
            *m.mutable_held_at() = held.held_at();
            *m.mutable_attendance() = held.attendance();
            body_key = BodyKey(m.area_id(), m.body_id());
          }));
      if (body_key.empty()) return absl::OkStatus();
      return UpdateRow<v1::BodyView>(
          rows, body_key, [&](v1::BodyView& body) { *body.add_held_at() = held.held_at(); });
    }
    case K::kAgendaItemAdded:
      return UpdateRow<v1::MeetingView>(
          rows, MeetingKey(event.agenda_item_added().meeting_id()), [&](v1::MeetingView& m) {
            const v1::AgendaItemAdded& item = event.agenda_item_added();
            if (!item.topic().empty()) {
              AddUnique(m.mutable_agenda_topics(), item.topic());
            } else {
              AddUnique(m.mutable_agenda_youth_ids(), item.youth_id());
            }
          });
    case K::kBoardMemberAppointed: {
      const v1::BoardMemberAppointed& a = event.board_member_appointed();
      return UpdateRow<v1::BodyView>(rows, BodyKey(a.area_id(), a.body_id()),
                                     [&](v1::BodyView& body) { *body.add_members() = a.member(); });
    }
    case K::kBoardMemberRemoved: {
      const v1::BoardMemberRemoved& r = event.board_member_removed();
      return UpdateRow<v1::BodyView>(
          rows, BodyKey(r.area_id(), r.body_id()), [&](v1::BodyView& body) {
            auto* members = body.mutable_members();
            members->erase(
                std::remove_if(members->begin(), members->end(),
                               [&](const v1::BodyMember& m) { return m.person() == r.person(); }),
                members->end());
          });
    }
    case K::kDecisionRecorded: {
      const v1::DecisionRecorded& d = event.decision_recorded();
      return UpdateRow<v1::MeetingView>(rows, MeetingKey(d.meeting_id()), [&](v1::MeetingView& m) {
        v1::DecisionView* decision = m.add_decisions();
        decision->set_decision_id(d.decision_id());
        decision->set_youth_id(d.youth_id());
        FromText(d.text(), decision->mutable_text());
        *decision->mutable_commitment_ids() = d.commitment_ids();
        *decision->mutable_escalation_ids() = d.escalation_ids();
        decision->set_case_status(d.case_status());
        decision->set_kind(d.kind());
        decision->set_topic(d.topic());
        decision->set_approves_proposal_id(d.approves_proposal_id());
      });
    }
    default:
      return absl::OkStatus();
  }
}

void JudgeCadence(v1::BodyView* body, absl::Time now) {
  body->set_decides(domain::BodyDecides(body->kind()));  // its powers, for bodies of before too
  int last_year = 0;
  absl::Time last_held = absl::InfinitePast();
  for (const auto& held : body->held_at()) {
    const absl::Time at = TimeOf(held);
    if (at <= now && now - at <= absl::Hours(24 * 365)) ++last_year;
    last_held = std::max(last_held, at);
  }
  body->set_meetings_last_year(last_year);
  const absl::Duration age = now - TimeOf(body->constituted_at());
  const v1::Cadence& cadence = body->cadence();
  if (cadence.min_meetings_per_year() > 0) {
    // Pro rata for a body younger than a year, rounded: one of two a year is due after 3 months.
    const double years = std::min(1.0, absl::ToDoubleHours(age) / (24 * 365));
    const int due = static_cast<int>(cadence.min_meetings_per_year() * years + 0.5);
    body->set_behind_cadence(last_year < due);
  } else if (cadence.every_weeks() > 0) {
    const absl::Duration period = absl::Hours(24 * 7 * cadence.every_weeks());
    body->set_behind_cadence(age > period && now - last_held > period);
  }
}

}  // namespace hotspot::projections
