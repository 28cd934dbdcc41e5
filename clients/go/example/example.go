// Package example refers a youth, puts the case on a task-force meeting, records a decision with
// a commitment the school's teacher accepted in the meeting, and lists the school's open
// commitments.
package example

import (
	"context"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"hotspot.example/clients/go/client"
	hotspotv1 "hotspot.example/clients/go/hotspot/v1"
)

const (
	Area   = "area-sjaelor-boulevard"
	School = "agency-school-sjaelor"
)

// ReferAndCommit returns the new youth's id and the school's open commitments.
func ReferAndCommit(ctx context.Context, c *client.Client) (string, []*hotspotv1.CommitmentView, error) {
	referred, err := c.Command(ctx, "ReferYouth", &hotspotv1.ReferYouthRequest{
		AreaId: Area, ReferringAgencyId: School, ReferredBy: "teacher-ole",
		Concerns:    []hotspotv1.ConcernCategory{hotspotv1.ConcernCategory_CONCERN_CATEGORY_SCHOOL_ABSENCE},
		Description: "Absent for three weeks", Urgency: hotspotv1.Urgency_URGENCY_HIGH,
		IdentityKnown: true, Name: "Example Youth",
	})
	if err != nil {
		return "", nil, err
	}
	youth := referred.Id
	if _, err := c.Command(ctx, "ScreenReferral", &hotspotv1.ScreenReferralRequest{YouthId: youth, Accept: true}); err != nil {
		return "", nil, err
	}
	now := time.Now()
	scheduled, err := c.Command(ctx, "ScheduleMeeting", &hotspotv1.ScheduleMeetingRequest{
		AreaId: Area, BodyId: "task-force", ScheduledAt: timestamppb.New(now)})
	if err != nil {
		return "", nil, err
	}
	meeting := scheduled.Id
	if _, err := c.Command(ctx, "AddAgendaItem", &hotspotv1.AddAgendaItemRequest{MeetingId: meeting, YouthId: youth}); err != nil {
		return "", nil, err
	}
	if _, err := c.Command(ctx, "RecordAttendance", &hotspotv1.RecordAttendanceRequest{
		MeetingId: meeting, HeldAt: timestamppb.New(now),
		Attendance: []*hotspotv1.BodyMember{
			{AgencyId: "agency-hotspot-sjaelor", Person: "chief-anna"},
			{AgencyId: School, Person: "teacher-ole"},
		}}); err != nil {
		return "", nil, err
	}
	due := now.AddDate(0, 0, 14)
	decided, err := c.Command(ctx, "RecordDecision", &hotspotv1.RecordDecisionRequest{
		MeetingId: meeting, YouthId: youth, Text: "School follows up daily; a club place is offered",
		Commitments: []*hotspotv1.NewCommitment{{
			OwningAgencyId: School, ResponsiblePerson: "teacher-ole",
			Action: "Daily attendance follow-up with the family",
			// teacher-ole attended for the school and took it on there
			AcceptedBy: "teacher-ole",
			DueDate:    &hotspotv1.Date{Year: int32(due.Year()), Month: int32(due.Month()), Day: int32(due.Day())},
		}}})
	if err != nil {
		return "", nil, err
	}
	var open []*hotspotv1.CommitmentView
	err = c.Pages(ctx, "ListCommitments", "", &hotspotv1.ListCommitmentsRequest{
		AreaId: Area, OwningAgencyId: School, State: hotspotv1.CommitmentState_COMMITMENT_STATE_OPEN,
		MinPosition: decided.Position,
	}, func() proto.Message { return &hotspotv1.ListCommitmentsResponse{} },
		func(m protoreflect.Message) error {
			open = append(open, m.Interface().(*hotspotv1.CommitmentView))
			return nil
		})
	return youth, open, err
}
