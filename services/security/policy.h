// Policy: who may do and see what, as the Hotspot model and the law say. The one place for
// "may this principal ..." questions; the domain's decide functions and the read side ask here.
// It holds the rules of sharing (who may share under which legal basis, and who may receive it)
// and every question of the read side: a case's personal data, each shared concern and its
// categories, an area, a history, the access log, the log's chain, erasure reviews, operating
// the service, and what a subscription receives; and the command side's rules (acting in an
// area, for an agency, as the social administration, managing or establishing an area,
// coordinating, an agency's own set-up, consent, commitments, escalations, erasure steps, subject
// access, the system's time-driven facts), which the domain's Decide() functions (services/domain/)
// ask instead of checking roles themselves.
//
// Sharing, by legal basis:
//   Retsplejeloven § 115 (SSP/PSP exchange)   shared and received by the police and the
//       cooperation's municipal parties: the social, children-and-youth and employment
//       administrations, schools, clubs, SSP, the outreach team, the job centre, the hotspot
//       secretariat; and by a self-governing institution that joined under stk. 3 (a flag on
//       its agency; never an NGO). Not by housing associations, NGOs or others.
//   Almenboligloven § 63 d                    the police's information about criminal
//       decisions: shared by the police, received by housing associations only.
//   Consent                                   by any agency, NGOs included, within the consent's
//       scope (the agencies it names).
//   Another basis                             by any agency, with its legal reference.
//
// Reading a shared concern: its text, categories and necessity statement go to its recipients
// (while the consent it rests on stands, for a share on consent), the sharing agency, the
// social administration's caseworkers and the area's coordinators; everyone else who may see the
// case sees only that it exists, its basis, its date and who shared it. Concerns shared before
// recipients were recorded read as before: by every agency involved in the case.
//
// Thread-safety: pure functions.
#ifndef HOTSPOT_SERVICES_SECURITY_POLICY_H_
#define HOTSPOT_SERVICES_SECURITY_POLICY_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hotspot/v1/types.pb.h"
#include "hotspot/v1/views.pb.h"
#include "services/security/principal.h"

namespace hotspot::security {

// The key that names a consent: its id, or for a consent of before (no id) its scope. For the
// consent events and ConsentView (consent_id, scope), and for a share on consent, as event or
// view (consent_id, consent_scope).
template <typename Message>
std::string ConsentKey(const Message& m) {
  if constexpr (requires { m.consent_scope(); }) {
    return m.consent_id().empty() ? m.consent_scope() : m.consent_id();
  } else {
    return m.consent_id().empty() ? m.scope() : m.consent_id();
  }
}

// "LEGAL_BASIS_SSP_EXCHANGE (Retsplejeloven § 115)", for messages.
std::string BasisName(v1::LegalBasis basis);

// OK if `sharer` may share under `basis`; FAILED_PRECONDITION naming the basis otherwise.
// (For consent, whether a consent in force covers the agency is the caller's to check.)
absl::Status MayShareUnder(const AgencyFacts& sharer, v1::LegalBasis basis);

// OK if `recipient` may receive what is shared under `basis`; FAILED_PRECONDITION naming the
// recipient and the basis otherwise.
absl::Status MayReceiveUnder(const AgencyFacts& recipient, v1::LegalBasis basis);

// OK if `agency` may be given a task in a youth's case (a commitment, an outreach task), which
// tells it whom the case is about: a § 115 party, a housing association (the area's
// housing-social work), or, if `consented` (a consent in force names it), any agency. An NGO or
// another outside agency gets a youth's task only on the youth's consent: FAILED_PRECONDITION
// starting with `field` otherwise.
absl::Status MayTakeOnCasework(const AgencyFacts& agency, bool consented, absl::string_view field);

// True if `who` may see the personal data of `view`'s case: a coordinator or a social
// caseworker of its area, or a member or leader of an agency involved in it: its referrer, an
// agency doing outreach in it, or one whose commitment in it still opens the case to it
// (CommitmentOpensTheCase); and a share's recipient (on consent, while the consent stands).
bool MaySeePersonalData(const Principal& who, const v1::CaseView& view);

// True if a commitment in `state` makes its agency involved in the case: proposed (the agency
// must know whom it is asked to act for), accepted, or fulfilled. A declined, cancelled or
// withdrawn commitment ends what it opened: the need to know goes with the task.
bool CommitmentOpensTheCase(v1::CommitmentState state);

// The agency that `escalation` is raised at, as involved in its case for that escalation (the
// `involved_agency` of MaySeeWithoutCase): its rung contacts answer it, and it concerns the
// agency's own commitments in the case, accepted or declined (a declined one taken to the
// agency's leadership), so its people know whom it is about (review 13b, S3); who of them reads
// its reason, MaySeeEscalationReason says.
std::string InvolvedThrough(const v1::EscalationView& escalation);

// True if `who`, who may see the personal data of `view` (the case `escalation` is about), may
// also read the escalation's reason and outcome (review 13c, b and c): the area's appointed chief
// (`chief`: her person, "" while none is appointed), who raises escalations and follows them;
// and of the target agency, the contacts at the levels the escalation has stood at (`contacts`:
// who answers it there, as the agency's ladder and the area's police coordinator stand now), and
// its people with a task in the case (responsible for one of its commitments in it, or doing one
// of its outreach tasks there). Nobody else: not her staff, not the social administration's
// caseworkers, not the case's other agencies (§ 115 parties too), whose casework the reason is
// not, nor the target's other people, nor a rung the escalation has not reached. (An escalation
// about the area has no youth and no personal data: this is not asked of it.)
bool MaySeeEscalationReason(const Principal& who, const v1::EscalationView& escalation,
                            const v1::CaseView& view, const std::vector<std::string>& contacts,
                            absl::string_view chief);

// The rule of MaySeeEscalationReason in a subscription (which receives in clear only as a
// coordinator of its areas, SubscriptionScopeOf), for the texts of the escalation events about a
// youth of `area_id` (a raise's and a move's reasons, an acknowledgement's note, the outcome): of
// the coordinators, only the area's appointed chief (`chief`, "" while none is) reads them; her
// staff have them withheld ("not_recipient"), as in ListEscalations.
bool MaySeeEscalationTextsInStream(const Principal& who, absl::string_view area_id,
                                   absl::string_view chief);

// The same rule without the case at hand: true or false where the caller's area and role (and
// `involved_agency`, an agency known to be involved in the case, if given) settle it; nullopt
// when the case's agencies must be looked at.
std::optional<bool> MaySeeWithoutCase(const Principal& who, absl::string_view area_id,
                                      absl::string_view involved_agency);

// True if `who`, who may see `view`'s personal data, may also read the content of `concern`
// (text, categories, necessity): see the header comment.
bool MaySeeConcern(const Principal& who, const v1::CaseView& view,
                   const v1::SharedConcern& concern);
// True if `who` would read `concern`'s content but for its consent, which no longer stands
// (withdrawn, or lapsed at 18): the reader is told "consent_ended", not "not_recipient".
bool ConsentEndedFor(const Principal& who, const v1::CaseView& view,
                     const v1::SharedConcern& concern);

// True if `who`, who may see `view`'s personal data, may also read the referral's content (its
// description and categories). The referral is the case's first concern and follows the rule of a
// shared concern with no recipients named (Retsplejeloven § 115 lets a party share what is
// necessary, not everything with every party): the referring agency, the social administration's
// caseworkers and the area's coordinators. Every other reader (another § 115 party included)
// sees who referred, when, how urgently and how many categories; what it needs of the content
// reaches it as a share naming it (ShareConcern).
bool MaySeeReferral(const Principal& who, const v1::CaseView& view);

// True if `who`, who may see a case's personal data, may also read its casework: the screening
// note, the action plan, the meetings' decisions, and the commitments of `owner` ("": of every
// agency); an escalation's reason is read by fewer (MaySeeEscalationReason). The case is the SSP
// cooperation's, so its § 115 parties, the social administration's caseworkers and the area's
// coordinators read all of it; another agency (a housing association, an NGO) involved through its
// own commitment reads only that.
bool MaySeeCasework(const Principal& who, absl::string_view owner = "");

// True if `who`, who may see a case's personal data, may also read the youth's CPR number and
// birth date: the § 115 parties and those who see the whole case. A housing association or an
// NGO (on consent) involved through its task gets the name and address the task needs, not the
// identity numbers (data minimisation).
bool MaySeeIdentityNumbers(const Principal& who);

// True if `who`, who may see `view`'s personal data, may also read `consent`'s scope (its name),
// who gave it, for which purpose, and which categories it covers: the agencies it names (every
// agency, for the unstructured consents of before), the social administration's caseworkers and the
// area's coordinators. The others see the kind of giver, its dates and whether it stands.
bool MaySeeConsent(const Principal& who, const v1::ConsentView& consent);

// True if `who`, who may see `view`'s personal data, may learn of `notification`, a notification
// to the social administration (barnets lov): the notifying agency, the social administration's
// caseworkers and the area's coordinators. Nobody else learns that the child was notified.
bool MaySeeNotification(const Principal& who, const v1::NotificationView& notification);
// True if `who` may also read the social administration's assessment of a notification: its
// caseworkers and the area's coordinators. The notifying agency learns its notification's dates
// (assessed, receipt due and confirmed) and flags, as barnets lov's receipt gives it, not the
// assessment, which is the social administration's casework.
bool MaySeeNotificationAssessment(const Principal& who);
// The same for the social administration's child-welfare investigations: its caseworkers and
// the area's coordinators.
bool MaySeeInvestigations(const Principal& who);
// The same for the social administration's decisions about the child.
bool MaySeeSocialDecisions(const Principal& who);
// The same for the family's subject access requests (GDPR Art. 15), which the chief's office
// answers.
bool MaySeeSubjectAccessRequests(const Principal& who);
// True if `who` sees every part of a case that the confidential kinds (IsConfidentialEventType)
// change, and so may be told the position of the case's last event: the social administration's
// caseworkers and the area's coordinators. Anyone else is told the position of its last event of
// another kind, as a later one would date what they do not learn (a notification, or the flag
// raised 90 days before the 18th birthday).
bool MaySeeEveryChange(const Principal& who);
// True if `who` learns of every event of `area_id` ("": an event of no known area), the
// confidential kinds included, and so may be told the position of any of them (PublicHead::For):
// the area's coordinators and social caseworkers (MaySeeEveryChange, of their own areas), an
// auditor of the area (or of every area), an admin (who operates the whole log and is told its
// head by AdminService.GetProjectionStatus) and hotspotd itself. A coordinator of another area,
// an agency's people and an integration are not: a position of such an event, told to them,
// would date what happened to a child they do not learn of.
bool MaySeeEveryChangeIn(const Principal& who, absl::string_view area_id);
// True if `who` may learn of `view`'s possible duplicates: the other cases of the municipality
// whose youth has the same CPR number, or the same name and birth date (a keyed-hash index,
// services/projections/duplicate_index.h). The area's chief only (`chief`, the appointed
// chief's person; "" while none is appointed: nobody), as a coordinator of the area: the chief
// screens the referral and takes it up with the other case's hotspot ("flagged to the chief",
// review 13b, N9). Not her staff, not the social administration's
// caseworkers, who keep the child's own records by CPR number in their own systems and need no
// link to another area's hotspot case; not the agencies, nor the pseudonymous readers. The flag
// says that the other youth has this youth's CPR number (or name and birth date): it discloses
// the other youth's identifying data, and is recorded as a read of it.
bool MaySeePossibleDuplicates(const Principal& who, const v1::CaseView& view,
                              absl::string_view chief);

// OK if `who` may hold its role in its agency, whose kind is `agency_kind` (UNSPECIFIED: not
// registered): the social caseworker's role, which reads every case of its areas and decides
// for the social administration, belongs to a social administration's people only.
// PERMISSION_DENIED naming the person, the role and the agency otherwise.
absl::Status MayHoldRole(const Principal& who, v1::AgencyKind agency_kind);

// Admits a caller, for every call (hotspotd's Authenticator::Admission): a coordinator or an
// agency's person is completed with its agency as `agency_of` finds it registered (kind, § 115
// stk. 3 flag), which the read side's need-to-know asks, and must hold its role there
// (MayHoldRole). Auditors, integrations and admins act for no agency: admitted as they are.
// `agency_of`'s error if it fails.
using AgencyLookup = std::function<absl::StatusOr<AgencyFacts>(absl::string_view agency_id)>;
absl::Status Admit(Principal& who, const AgencyLookup& agency_of);

// ---- The command side's primitives: OK, or PERMISSION_DENIED saying why. ----

// PERMISSION_DENIED: "<person> (<role> of <agency>) may not <what>".
absl::Status Refuse(const Principal& who, absl::string_view what);
// A principal of the area.
absl::Status MayActInArea(const Principal& who, absl::string_view area_id);
// True if `who` may learn whether a youth has a case in `area_id` ("": a youth with no case, of
// no area), and so be told NOT_FOUND, a rule of the domain or a version: a principal of the
// area, an auditor of it (or of every area), and hotspotd itself. Anyone else is told only
// RefuseOutsideCase(), for a command and a read of the case alike.
bool MayLearnOfCaseIn(const Principal& who, absl::string_view area_id);
// PERMISSION_DENIED "youth_id: <person> has no access to <youth_id>": the same text whether the
// youth has a case or is another area's, naming neither the area nor the case's existence.
absl::Status RefuseOutsideCase(const Principal& who, absl::string_view youth_id);
// The same for another aggregate that names a youth (an erasure), by `field`: PERMISSION_DENIED
// "<field>: <person> has no access to <id>".
absl::Status RefuseOutside(const Principal& who, absl::string_view field, absl::string_view id);
bool IsCoordinator(const Principal& who);
// Roles that act for an agency: members, leaders and the social administration's caseworkers.
bool IsAgencyRole(Role role);
// The area's set-up (programme, bodies, agencies): a coordinator or an admin of the area.
absl::Status MayManageArea(const Principal& who, absl::string_view area_id, absl::string_view what);
// The chief's and staff's own work: a coordinator of the area.
absl::Status MayCoordinate(const Principal& who, absl::string_view area_id, absl::string_view what);
// The chief's own right and duty (the handbook, 004): escalations, programme proposals, the
// report to the directors, the hotspot board's members. The area's appointed chief (`chief`, ""
// while none is appointed) as a coordinator of the area; not the staff, who do outreach, record
// meetings and write follow-ups (MayCoordinate).
absl::Status MayActAsChief(const Principal& who, absl::string_view area_id,
                           absl::string_view chief, absl::string_view what);
// The area's set-up that is the chief's once she is appointed (her staff, the programme): the
// chief, or an admin of the area (who sets an area up before it has a chief).
absl::Status MayActAsChiefOrAdmin(const Principal& who, absl::string_view area_id,
                                  absl::string_view chief, absl::string_view what);
// Appointing the area's chief: the administrations' decision, recorded by an admin of the area;
// not the chief or her staff.
absl::Status MayAppointChief(const Principal& who, absl::string_view area_id);
// Constituting the political follow-up group or the steering group (`what`): the
// administrations' bodies, of their mayors and directors, that approve the chief's programme
// revisions and set the effort's goals, frames and resources. An admin of the area records them,
// as the chief's appointment; not the chief or her staff, who would otherwise pick who approves
// their own work.
absl::Status MayConstituteGoverningBody(const Principal& who, absl::string_view area_id,
                                        absl::string_view what);
// For `agency_id`: a coordinator of the area, or someone of that agency.
absl::Status MayActForAgency(const Principal& who, absl::string_view area_id,
                             absl::string_view agency_id, absl::string_view what);
// The social administration's own assessments and decisions: a social caseworker of the area
// whose agency (`agency_kind`) is the social administration.
absl::Status MayActAsSocialAdministration(const Principal& who, absl::string_view area_id,
                                          v1::AgencyKind agency_kind, absl::string_view what);

// The youth's record kept on the family's behalf (a correction of its identifying data, a
// subject access request): a coordinator of the area, or a social caseworker of the area whose
// agency (`agency_kind`) is the social administration.
absl::Status MayKeepRecord(const Principal& who, absl::string_view area_id,
                           v1::AgencyKind agency_kind, absl::string_view what);

// The command side's particular rules.
// An area: an admin establishes any; a coordinator one of their own areas.
absl::Status MayEstablishArea(const Principal& who, absl::string_view area_id);
// What an agency arranges for itself: its leadership ladder (who answers escalations at each
// rung), the areas it serves (an agency that serves several areas agrees to serve each one), and
// for the police, the area's police coordinator ("Der etableres en koordinatorfunktion i
// Københavns Politi", 002: the police organise themselves in parallel with the hotspot, so the
// function is the police's to staff). The agency's own leaders, acting in `area_id`, or an admin
// of `area_id` (who sets up an area and its agencies, as with RegisterAgency). Not the chief or
// her staff: she has no power to decide for an agency, and whoever names an agency's rungs
// names who answers her escalations. PERMISSION_DENIED otherwise.
absl::Status MaySetUpAgency(const Principal& who, absl::string_view area_id,
                            absl::string_view agency_id, absl::string_view what);
// Changing who answers at or above the level an open escalation of `agency_id` stands at: only
// the persons who hold those rungs now (`holders`), as people of the agency, or an admin of the
// agency's home area `area_id`. Not a lower rung, who would otherwise name himself to the rung
// above him and answer the escalation there. PERMISSION_DENIED naming `field` and `what`
// otherwise ("<field>: <who> may not <what>: only those who hold ...").
absl::Status MayChangeEscalatedRungs(const Principal& who, absl::string_view area_id,
                                     absl::string_view agency_id,
                                     const std::vector<std::string>& holders,
                                     absl::string_view field, absl::string_view what);
// A measurement of a measure of the area that `owner` owns (DefineMeasure; the domain refuses a
// measure nobody defined before it asks): only that agency's people (its members, leaders and
// caseworkers; coordinators only of the hotspot secretariat's own measures): a measure belongs
// to the agency that decided it, and the chief does not record it for them, nor does an admin.
// PERMISSION_DENIED otherwise (an empty `owner` is nobody's: refused to all).
absl::Status MayRecordMeasurement(const Principal& who, absl::string_view area_id,
                                  absl::string_view owner);
// Defining a measure of the area that `owner` owns now ("": none yet) as `new_owner`'s: the
// people of each (for the hotspot secretariat, its chief, `chief`); an admin of the area only
// for a measure nobody owns yet (setting the area up). Not the chief for another agency: she
// neither decides an agency's measure nor takes one over.
absl::Status MayDefineMeasure(const Principal& who, absl::string_view area_id,
                              absl::string_view chief, absl::string_view owner,
                              absl::string_view new_owner);
// A consent: the chief's office or the social administration's caseworkers of the area.
absl::Status MayRecordConsent(const Principal& who, absl::string_view area_id);
// As `agency_id` itself: someone of that agency, of the area (a coordinator only as the hotspot
// secretariat it belongs to, registered as AGENCY_KIND_HOTSPOT_SECRETARIAT: a coordinator's token
// bound to another agency does not speak for it, PERMISSION_DENIED naming the agency). What an
// agency says in its own name, such as a shared concern.
absl::Status MayActAsAgency(const Principal& who, absl::string_view area_id,
                            absl::string_view agency_id, absl::string_view what);
// A commitment of `owner`: only the owning agency changes it: its people (members, leaders,
// caseworkers) report progress, fulfil, accept and decline; with `leaders_only` (renegotiate,
// cancel) only its leaders. The hotspot secretariat is an agency like the others for its own
// commitments: its staff (coordinators of `owner`, registered as the hotspot secretariat; not a
// coordinator whose agency is another kind) are its members, and the area's chief (`chief`, "" if
// none or not looked up) is its leader. For another agency's commitment the
// chief and her staff coordinate: they follow up and escalate, they do not act for the agency.
absl::Status MayChangeCommitment(const Principal& who, absl::string_view area_id,
                                 absl::string_view owner, absl::string_view chief,
                                 bool leaders_only, absl::string_view what);
// Withdrawing a proposed commitment of `area_id`: the person who proposed it (`author`, the
// coordinator who recorded the decision that made it), or the area's chief (`chief`; her staff
// record the meetings, the proposals are hers to take back); an admin of the area only as an
// operator's repair. Not the owning agency (which declines it), nor the chief's other staff.
absl::Status MayWithdrawProposal(const Principal& who, absl::string_view area_id,
                                 absl::string_view chief, absl::string_view author);
// An escalation to `agency` at `level`: only `contact`, the agency's contact for that rung of its
// ladder, answers it (acknowledges, resolves), and only as a person of `agency` (an agency role,
// of that agency): not a leader of another rung, not its raiser, not a person of the same name
// calling for another agency or as a coordinator.
absl::Status MayAnswerEscalation(const Principal& who, absl::string_view contact,
                                 absl::string_view agency, absl::string_view level,
                                 absl::string_view what);
// A step of an erasure: the one role that takes it (auditor: assess; admin: execute), in the area.
absl::Status MayActOnErasure(const Principal& who, absl::string_view area_id, Role role,
                             absl::string_view what);
// An answer to a subject access request: an auditor, who exports it with the youth's access
// records (the access log is an auditor's).
absl::Status MayAnswerSubjectAccess(const Principal& who);

// A time-driven fact (an overdue commitment, a lapsed consent, ...: system_commands.proto):
// hotspotd's own deadline process only, as SystemPrincipal().
absl::Status MayRecordSystemFact(const Principal& who, absl::string_view what);

// ---- The read side's other questions: OK, or PERMISSION_DENIED saying why. ----

// An area's lists and dashboard, and a case's pseudonymous view: a principal of the area.
absl::Status MayReadArea(const Principal& who, absl::string_view area_id);
// An auditor's reach. An auditor whose token lists no area audits the whole installation (the
// municipality's data-protection officer): every area's histories, access records, erasure
// reviews and events. An auditor whose token lists areas is bound by them everywhere: a case's
// history, the case as of a point and a subject access export of a youth of its areas only; the
// erasure reviews of its areas; a subscription receives its areas' events only; of the access
// log, the records of a youth of its areas (a youth with no case is of no area), and, listed by
// person or exported, only the records of its areas.
//
// A youth's whole history and the case as of a past point: an auditor (of the youth's area, if
// bound to areas), or a coordinator of the youth's area.
absl::Status MayAuditCase(const Principal& who, absl::string_view area_id);
// The same by role alone, asked before the case is looked up, so that an unknown id tells a
// caller of the wrong role nothing.
absl::Status MayAuditCases(const Principal& who);
// The list of an area's cases due for an erasure review: the same.
absl::Status MayReviewErasures(const Principal& who, absl::string_view area_id);
// The access log: an auditor (which of its records: the two below).
absl::Status MayReadAccessLog(const Principal& who);
// The access records of the youth `youth_id`, whose case is of `area_id` ("" if it has none): an
// auditor of every area, or of that area. Another auditor is refused with RefuseOutsideCase(),
// in the same words whether the youth has no case or one of another area.
absl::Status MayReadAccessRecordsOf(const Principal& who, absl::string_view youth_id,
                                    absl::string_view area_id);
// The areas whose records `who`, who may read the access log, reads in a list by person or an
// export: std::nullopt for every record (an auditor of every area); its areas for an auditor
// bound to areas (a record filed under no area is of none of them); none for anyone else.
std::optional<std::vector<std::string>> AccessRecordAreas(const Principal& who);
// The log's hash chain: an auditor or an admin.
absl::Status MayVerifyLog(const Principal& who);
// Operating the service (projection status and rebuilds, the demo, backups): an admin.
absl::Status MayOperate(const Principal& who);

// What a subscription may receive: the areas (empty: every area), whether in clear, and whether
// events of the confidential kinds (IsConfidentialEventType).
struct SubscriptionScope {
  std::vector<std::string> areas;
  bool in_clear = false;
  bool confidential_kinds = false;
};
// The principal's areas bound what it receives, for every role but the admin and an auditor of
// every area (who may follow every area, or name one); only a coordinator following its own
// areas gets personal data in clear. The confidential kinds go to coordinators and auditors, not to
// integrations or admins. Other roles: PERMISSION_DENIED; an area not its own: PERMISSION_DENIED.
absl::StatusOr<SubscriptionScope> SubscriptionScopeOf(const Principal& who,
                                                      const std::string& area_id);
// True for the event types (full names, "hotspot.v1.NotificationMade") whose mere existence says
// something confidential of the child: notifications to the social administration and their
// deadlines, child-welfare investigations, the social administration's decisions, and the
// family's subject access requests; and the facts dated by the youth's birthday (18th birthday
// near, a consent lapsed at 18), whose time tells the birth date.
bool IsConfidentialEventType(absl::string_view type);

// True if `who` may read an area's child-welfare figures (the dashboard's and a frozen report's
// counts of notifications, investigations and their missed deadlines): those who see the
// child's confidential affairs, the area's coordinators and the social administration's
// caseworkers (MaySeeInvestigations), and auditors. Over a short period the counts date each
// notification and investigation, and so tell of the child: nobody else gets them.
bool MaySeeChildWelfareFigures(const Principal& who);

}  // namespace hotspot::security

#endif  // HOTSPOT_SERVICES_SECURITY_POLICY_H_
