// The list of commands, for code that treats them all alike (the gRPC service, in-process
// dispatch). Adding an RPC to command_service.proto means adding it here.
#ifndef HOTSPOT_SERVICES_COMMANDS_COMMAND_LIST_H_
#define HOTSPOT_SERVICES_COMMANDS_COMMAND_LIST_H_

// Every RPC of hotspot.v1.CommandService; each takes <Name>Request.
#define HOTSPOT_FOR_EACH_COMMAND(X)    \
  X(EstablishArea)                     \
  X(AdoptProgramme)                    \
  X(AppointChief)                      \
  X(AssignStaff)                       \
  X(ConstituteBody)                    \
  X(RecordMeasurement)                 \
  X(DesignatePoliceCoordinator)        \
  X(RegisterAgency)                    \
  X(SetLeadershipLadder)               \
  X(ReferYouth)                        \
  X(ScreenReferral)                    \
  X(AssignOutreach)                    \
  X(RecordOutreachOutcome)             \
  X(IdentifyYouth)                     \
  X(ShareConcern)                      \
  X(RecordConsent)                     \
  X(WithdrawConsent)                   \
  X(AdoptActionPlan)                   \
  X(RecordSocialDecision)              \
  X(HandOverToAdultServices)           \
  X(CloseCase)                         \
  X(ReopenCase)                        \
  X(ScheduleMeeting)                   \
  X(RecordAttendance)                  \
  X(AddAgendaItem)                     \
  X(RecordDecision)                    \
  X(AcknowledgeCommitment)             \
  X(ReportProgress)                    \
  X(RenegotiateCommitment)             \
  X(FulfilCommitment)                  \
  X(CancelCommitment)                  \
  X(AcceptCommitment)                  \
  X(DeclineCommitment)                 \
  X(RecordFollowUp)                    \
  X(WithdrawProposal)                  \
  X(RaiseEscalation)                   \
  X(AcknowledgeEscalation)             \
  X(MoveEscalationUp)                  \
  X(ResolveEscalation)                 \
  X(RequestErasure)                    \
  X(ApproveErasure)                    \
  X(RefuseErasure)                     \
  X(ExecuteErasure)                    \
  X(NotifyChildWelfare)                \
  X(AssessNotification)                \
  X(ConfirmNotificationReceipt)        \
  X(OpenChildWelfareInvestigation)     \
  X(CompleteChildWelfareInvestigation) \
  X(RectifyPersonalData)               \
  X(RecordArchiveAssessment)           \
  X(RecordArchiveTransfer)             \
  X(RecordSubjectAccessRequest)        \
  X(LinkAgencyToArea)                  \
  X(ProposeProgrammeRevision)          \
  X(AppointBoardMember)                \
  X(RemoveBoardMember)                \
  X(SubmitReport)                      \
  X(DefineMeasure)                     \
  X(NameAgencyPeople)

#endif  // HOTSPOT_SERVICES_COMMANDS_COMMAND_LIST_H_
