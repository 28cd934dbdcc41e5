#include "clients/cli/render.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "hotspot/v1/audit_service.pb.h"
#include "hotspot/v1/stored_event.pb.h"
#include "hotspot/v1/types.pb.h"
#include "hotspot/v1/views.pb.h"
#include "nlohmann/json.hpp"
#include "services/common/text.h"

namespace hotspot::cli {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

constexpr char kAbsent[] = "—";

// A history event's personal data, by path ("youth_referred.name"), and where in the event the
// walk is.
struct Personal {
  std::map<std::string, const v1::PersonalField*> by_path;
};

std::string Escape(absl::string_view text) { return common::EscapeForTerminal(text); }

// Columns on a terminal: UTF-8 continuation bytes take none.
size_t Width(absl::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string Pad(const std::string& s, size_t width) {
  const size_t w = Width(s);
  return w >= width ? s : s + std::string(width - w, ' ');
}

// A table cell of free text: at most 60 columns, cut on a character boundary.
std::string Clip(const std::string& s, size_t width = 60) {
  if (Width(s) <= width) return s;
  std::string out;
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80 && ++n > width - 3) break;
    out += static_cast<char>(c);
  }
  return out + "...";
}

std::string Label(absl::string_view field_name) {
  std::string out(field_name);
  for (char& c : out) c = c == '_' ? ' ' : c;
  return out;
}

// "CASE_STATUS_ACTIVE" -> "active"; "" for the unspecified value.
std::string EnumLabel(const EnumValueDescriptor* value) {
  if (value->number() == 0) return "";
  std::string prefix = value->type()->value(0)->name();  // "CASE_STATUS_UNSPECIFIED"
  if (absl::EndsWith(prefix, "UNSPECIFIED")) prefix.resize(prefix.size() - 11);
  std::string name = value->name();
  if (absl::StartsWith(name, prefix)) name = name.substr(prefix.size());
  return absl::AsciiStrToLower(Label(name));
}

std::string DateText(const v1::Date& d) {
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

std::string TimeText(int64_t seconds) {
  const absl::Time t = absl::FromUnixSeconds(seconds);
  return absl::FormatTime(seconds % 60 == 0 ? "%Y-%m-%d %H:%M" : "%Y-%m-%d %H:%M:%S", t,
                          absl::UTCTimeZone());
}

std::string PersonalText(const v1::PersonalField& p) {
  if (p.has_text()) return Escape(p.text());
  if (p.has_withheld()) {
    const std::string& reason = p.withheld().reason();
    if (reason == "erased") return "(erased)";
    if (reason == "not_allowed" || reason.empty()) return "(sealed)";
    return absl::StrCat("(sealed: ", Escape(reason), ")");
  }
  if (p.has_sealed()) return "(sealed)";
  return kAbsent;
}

const std::string& TypeOf(const FieldDescriptor* f) { return f->message_type()->full_name(); }

bool IsLeafMessage(const FieldDescriptor* f) {
  if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return false;
  const std::string& t = TypeOf(f);
  return t == "hotspot.v1.PersonalField" || t == "hotspot.v1.Date" ||
         t == "google.protobuf.Timestamp" || t == "google.protobuf.Duration" ||
         t == "hotspot.v1.SealedText" || t == "hotspot.v1.Text" || t == "hotspot.v1.Actor";
}

// A personal value met in an event: the history's unsealed value for its path.
std::string SealedAt(const Personal* personal, const std::string& path, bool given) {
  if (personal != nullptr) {
    const auto it = personal->by_path.find(path);
    if (it != personal->by_path.end()) return PersonalText(*it->second);
  }
  return given ? "(sealed)" : kAbsent;
}

// A leaf message's text; nullopt if unset.
std::optional<std::string> LeafText(const Message& m, const FieldDescriptor* f,
                                    const Personal* personal, const std::string& path) {
  const auto* r = m.GetReflection();
  const std::string& type = TypeOf(f);
  if (type == "hotspot.v1.PersonalField") {
    // Shown even when unset: "—" tells the reader it was never given.
    return r->HasField(m, f) ? PersonalText(static_cast<const v1::PersonalField&>(
                                   r->GetMessage(m, f)))
                             : kAbsent;
  }
  if (!r->HasField(m, f)) return std::nullopt;
  const Message& sub = r->GetMessage(m, f);
  if (type == "hotspot.v1.Date") return DateText(static_cast<const v1::Date&>(sub));
  if (type == "hotspot.v1.SealedText") {
    return SealedAt(personal, path, !static_cast<const v1::SealedText&>(sub).ciphertext().empty());
  }
  if (type == "hotspot.v1.Text") {
    const auto& text = static_cast<const v1::Text&>(sub);
    if (text.has_clear()) return Escape(text.clear());
    return SealedAt(personal, path + ".sealed", text.has_sealed());
  }
  if (type == "hotspot.v1.Actor") {
    const auto& a = static_cast<const v1::Actor&>(sub);
    return Escape(absl::StrCat(a.person(), " (", a.agency_id(), ", ", a.role(), ")"));
  }
  const auto* sd = sub.GetDescriptor();
  const int64_t seconds = sub.GetReflection()->GetInt64(sub, sd->FindFieldByName("seconds"));
  if (type == "google.protobuf.Duration") return absl::StrCat(seconds, "s");
  return TimeText(seconds);
}

// A scalar's text; nullopt for proto3's default (unset) value, except in tables.
std::optional<std::string> ScalarText(const Message& m, const FieldDescriptor* f, int index) {
  const auto* r = m.GetReflection();
  const bool rep = index >= 0;
  // -1 stands for "not yet" in the views' day counts and medians.
  const bool minus_one_absent =
      absl::StartsWith(f->name(), "days_to_") || absl::StartsWith(f->name(), "median_");
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string s = rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
      if (s.empty()) return std::nullopt;
      if (f->type() == FieldDescriptor::TYPE_BYTES) return absl::StrCat("<", s.size(), " bytes>");
      return Escape(s);
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const std::string s = EnumLabel(rep ? r->GetRepeatedEnum(m, f, index) : r->GetEnum(m, f));
      if (s.empty()) return std::nullopt;
      return s;
    }
    case FieldDescriptor::CPPTYPE_BOOL:
      if (!(rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f))) return std::nullopt;
      return "yes";
    case FieldDescriptor::CPPTYPE_INT32: {
      const int32_t v = rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f);
      if (v == -1 && minus_one_absent) return kAbsent;
      if (v == 0 && !(f->has_presence() && r->HasField(m, f))) return std::nullopt;
      return absl::StrCat(v);
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      const int64_t v = rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f);
      if (v == 0) return std::nullopt;
      return absl::StrCat(v);
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      const uint32_t v = rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f);
      if (v == 0) return std::nullopt;
      return absl::StrCat(v);
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      const uint64_t v = rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f);
      if (v == 0) return std::nullopt;
      return absl::StrCat(v);
    }
    case FieldDescriptor::CPPTYPE_FLOAT:
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      const double v = f->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT
                           ? (rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f))
                           : (rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f));
      if (v == -1 && minus_one_absent) return kAbsent;
      if (v == 0) return std::nullopt;
      return absl::StrFormat("%.4g", v);
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return std::nullopt;
}

// A field's value on one line (a leaf, a scalar, or a repeated scalar or leaf as a list; a map
// as "key=value"); nullopt if it is unset or has nested structure.
std::optional<std::string> InlineText(const Message& m, const FieldDescriptor* f,
                                      const Personal* personal, const std::string& path) {
  const auto* r = m.GetReflection();
  if (f->is_map()) {
    std::vector<std::string> pairs;
    for (int i = 0; i < r->FieldSize(m, f); ++i) {
      const Message& entry = r->GetRepeatedMessage(m, f, i);
      const auto* d = entry.GetDescriptor();
      pairs.push_back(absl::StrCat(ScalarText(entry, d->field(0), -1).value_or(""), "=",
                                   ScalarText(entry, d->field(1), -1).value_or("")));
    }
    if (pairs.empty()) return std::nullopt;
    return absl::StrJoin(pairs, ", ");
  }
  if (f->is_repeated()) {
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !IsLeafMessage(f)) return std::nullopt;
    std::vector<std::string> items;
    for (int i = 0; i < r->FieldSize(m, f); ++i) {
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        const Message& item = r->GetRepeatedMessage(m, f, i);
        if (TypeOf(f) == "google.protobuf.Timestamp") {
          items.push_back(TimeText(
              item.GetReflection()->GetInt64(item, item.GetDescriptor()->FindFieldByName("seconds"))));
        } else if (TypeOf(f) == "hotspot.v1.Date") {
          items.push_back(DateText(static_cast<const v1::Date&>(item)));
        } else if (TypeOf(f) == "hotspot.v1.PersonalField") {
          items.push_back(PersonalText(static_cast<const v1::PersonalField&>(item)));
        } else {
          items.push_back(SealedAt(personal, absl::StrCat(path, "[", i, "]"), true));
        }
      } else if (auto s = ScalarText(m, f, i)) {
        items.push_back(*s);
      }
    }
    if (items.empty()) return std::nullopt;
    return absl::StrJoin(items, ", ");
  }
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    if (!IsLeafMessage(f)) return std::nullopt;
    return LeafText(m, f, personal, path);
  }
  return ScalarText(m, f, -1);
}

// A column of a list: its header and the path of its field ("referral.urgency").
struct Column {
  const char* header;
  const char* path;
};

// The columns that say what each kind of row is; other types get their scalar fields.
const std::map<std::string, std::vector<Column>>& Columns() {
  static const auto* columns = new std::map<std::string, std::vector<Column>>{
      {"hotspot.v1.CaseView",
       {{"youth", "youth_id"},
        {"name", "name"},
        {"status", "status"},
        {"urgency", "referral.urgency"},
        {"referred", "referral.referred_at"},
        {"next review", "next_review_date"},
        {"commitments", "commitments"}}},
      {"hotspot.v1.StatusChange", {{"at", "at"}, {"status", "status"}, {"position", "position"}}},
      {"hotspot.v1.CommitmentView",
       {{"commitment", "commitment_id"},
        {"youth", "youth_name"},
        {"agency", "owning_agency_id"},
        {"person", "responsible_person"},
        {"due", "due_date"},
        {"state", "state"},
        {"days overdue", "days_overdue"},
        {"action", "action"}}},
      {"hotspot.v1.EscalationRef",
       {{"escalation", "escalation_id"},
        {"to agency", "target_agency_id"},
        {"level", "level"},
        {"resolved", "resolved"}}},
      {"hotspot.v1.MeetingRef", {{"meeting", "meeting_id"}, {"at", "at"}}},
      {"hotspot.v1.EscalationView",
       {{"escalation", "escalation_id"},
        {"to agency", "target_agency_id"},
        {"level", "level"},
        {"raised", "raised_at"},
        {"age (days)", "age_days"},
        {"resolved", "resolved_at"},
        {"reason", "reason"}}},
      {"hotspot.v1.MeetingView",
       {{"meeting", "meeting_id"},
        {"body", "body_id"},
        {"scheduled", "scheduled_at"},
        {"held", "held_at"},
        {"decisions", "decisions"},
        {"youths", "agenda_youth_ids"}}},
      {"hotspot.v1.BodyView",
       {{"body", "body_id"},
        {"kind", "kind"},
        {"name", "name"},
        {"meetings last year", "meetings_last_year"},
        {"in period", "meetings_in_period"},
        {"behind cadence", "behind_cadence"}}},
      {"hotspot.v1.AgencyCommitmentStats",
       {{"agency", "agency_id"},
        {"person", "responsible_person"},
        {"due", "due"},
        {"on time", "fulfilled_on_time"},
        {"late", "fulfilled_late"},
        {"open overdue", "open_overdue"},
        {"share on time", "share_on_time"},
        {"renegotiated", "renegotiated"},
        {"proposed", "proposed"},
        {"declined", "declined"},
        {"withdrawn", "withdrawn"}}},
      {"hotspot.v1.EscalationLevelStats",
       {{"level", "level"},
        {"raised", "raised"},
        {"resolved", "resolved"},
        {"median days to resolve", "median_days_to_resolve"}}},
      {"hotspot.v1.Measurement",
       {{"measure", "measure"},
        {"scope", "scope"},
        {"age group", "age_group"},
        {"measured on", "measured_on"},
        {"value", "value"},
        {"source", "source"}}},
      {"hotspot.v1.ProgrammeGoal",
       {{"goal", "goal_id"},
        {"measure", "measure"},
        {"baseline", "baseline"},
        {"target", "target"},
        {"by", "target_date"}}},
      {"hotspot.v1.MeasureDefinition",
       {{"measure", "measure"},
        {"agency", "owning_agency_id"},
        {"unit", "unit"},
        {"definition", "definition"}}},
      {"hotspot.v1.MissingReport",
       {{"half-year end", "half_year_end"},
        {"flagged", "flagged_at"},
        {"submitted", "submitted_at"}}},
      {"hotspot.v1.PossibleDuplicate",
       {{"youth", "youth_id"}, {"area", "area_id"}, {"matches", "matches"}}},
      {"hotspot.v1.InvestigationView",
       {{"investigation", "investigation_id"},
        {"opened", "opened_at"},
        {"due", "due_on"},
        {"completed", "completed_at"},
        {"overdue", "overdue"},
        {"conclusion", "conclusion"}}},
      {"hotspot.v1.SocialDecisionView", {{"decided", "decided_at"}, {"decision", "decision"}}},
      {"hotspot.v1.AgencyView",
       {{"agency", "agency_id"}, {"kind", "kind"}, {"name", "name"}, {"areas", "area_ids"}}},
      {"hotspot.v1.ConsentView",
       {{"given", "given_at"},
        {"name", "scope"},
        {"giver", "giver"},
        {"in force", "in_force"},
        {"agencies", "agency_ids"}}},
      {"hotspot.v1.BodyMember",
       {{"agency", "agency_id"}, {"person", "person"}, {"represents", "represents"}}},
  };
  return *columns;
}

// One cell: the field at `path` of `row`; "" if unset. A list of messages is its count.
std::string Cell(const Message& row, absl::string_view path) {
  const Message* m = &row;
  const std::vector<std::string> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const FieldDescriptor* f = m->GetDescriptor()->FindFieldByName(parts[i]);
    if (f == nullptr || !m->GetReflection()->HasField(*m, f)) return "";
    m = &m->GetReflection()->GetMessage(*m, f);
  }
  const FieldDescriptor* f = m->GetDescriptor()->FindFieldByName(parts.back());
  if (f == nullptr) return "";
  if (f->is_repeated() && f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !f->is_map() &&
      !IsLeafMessage(f)) {
    const int n = m->GetReflection()->FieldSize(*m, f);
    return n == 0 ? "" : absl::StrCat(n);
  }
  // Columns are set apart by two spaces: a run of them inside a value (a name typed so) would
  // read as a column of its own, so a cell keeps one.
  std::string text = InlineText(*m, f, nullptr, "").value_or("");
  text.erase(std::unique(text.begin(), text.end(),
                         [](char a, char b) { return a == ' ' && b == ' '; }),
             text.end());
  return Clip(text);
}

void Indent(std::string& out, int indent) { out.append(indent, ' '); }

// Rows of one type as a table; columns empty (or "—") in every row are left out.
void Table(const std::vector<const Message*>& rows, int indent, bool header, std::string& out) {
  if (rows.empty()) return;
  const Descriptor* d = rows[0]->GetDescriptor();
  std::vector<Column> columns;
  std::vector<std::string> generated;  // keeps the generic columns' paths alive
  if (const auto it = Columns().find(d->full_name()); it != Columns().end()) {
    columns = it->second;
  } else {
    for (int i = 0; i < d->field_count() && generated.size() < 8; ++i) {
      const FieldDescriptor* f = d->field(i);
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !IsLeafMessage(f)) continue;
      generated.push_back(f->name());
    }
    for (const std::string& name : generated) columns.push_back({name.c_str(), name.c_str()});
  }
  std::vector<std::vector<std::string>> cells(rows.size());
  std::vector<std::string> headers;
  std::vector<size_t> widths;
  for (const Column& c : columns) {
    std::vector<std::string> column;
    bool any = false;
    for (const Message* row : rows) {
      column.push_back(Cell(*row, c.path));
      any |= !column.back().empty() && column.back() != kAbsent;
    }
    if (!any) continue;
    std::string name = generated.empty() ? c.header : Label(c.header);
    size_t width = Width(name);
    for (size_t r = 0; r < rows.size(); ++r) {
      width = std::max(width, Width(column[r]));
      cells[r].push_back(std::move(column[r]));
    }
    headers.push_back(std::move(name));
    widths.push_back(width);
  }
  auto line = [&](const std::vector<std::string>& values) {
    Indent(out, indent);
    std::string text;
    for (size_t c = 0; c < values.size(); ++c) {
      text += c + 1 == values.size() ? values[c] : Pad(values[c], widths[c]) + "  ";
    }
    out += std::string(absl::StripTrailingAsciiWhitespace(text)) + "\n";
  };
  if (header) line(headers);
  for (const auto& row : cells) line(row);
}

// "CONCERN_CATEGORY_A,CONCERN_CATEGORY_B" (sealed categories, unsealed) -> "a, b".
std::string CategoryLabels(absl::string_view names) {
  std::vector<std::string> out;
  for (absl::string_view name : absl::StrSplit(names, ',', absl::SkipEmpty())) {
    const EnumValueDescriptor* v =
        v1::ConcernCategory_descriptor()->FindValueByName(std::string(name));
    out.push_back(v != nullptr ? EnumLabel(v) : std::string(name));
  }
  return absl::StrJoin(out, ", ");
}

// A message's fields: first its one-line values, aligned, then each nested message and list
// under its label.
void Fields(const Message& m, int indent, const Personal* personal, const std::string& path,
            std::string& out) {
  const Descriptor* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  std::vector<std::pair<std::string, std::string>> lines;
  std::vector<const FieldDescriptor*> nested;
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const std::string here = path.empty() ? f->name() : absl::StrCat(path, ".", f->name());
    // "concerns_sealed" beside "concerns": the same data, unsealed for those who may see it,
    // kept in clear by events of before. One line, under the plain name.
    std::string label = Label(f->name());
    if (absl::EndsWith(f->name(), "_sealed")) {
      const std::string plain = f->name().substr(0, f->name().size() - 7);
      label = Label(plain);
      if (const FieldDescriptor* clear = d->FindFieldByName(plain);
          clear != nullptr && InlineText(m, clear, personal, "").has_value()) {
        continue;
      }
    }
    if (auto text = InlineText(m, f, personal, here)) {
      if (absl::StartsWith(*text, "CONCERN_CATEGORY_")) *text = CategoryLabels(*text);
      lines.emplace_back(label, *std::move(text));
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !IsLeafMessage(f) &&
               (f->is_repeated() ? r->FieldSize(m, f) > 0 : r->HasField(m, f))) {
      nested.push_back(f);
    }
  }
  size_t width = 0;
  for (const auto& [label, value] : lines) width = std::max(width, Width(label));
  for (const auto& [label, value] : lines) {
    Indent(out, indent);
    // A free text with newlines goes on under its label, indented.
    std::string text = value;
    absl::StrReplaceAll({{"\n", "\n" + std::string(indent + width + 2, ' ')}}, &text);
    out += Pad(label, width) + "  " + text + "\n";
  }
  for (const FieldDescriptor* f : nested) {
    const std::string here = path.empty() ? f->name() : absl::StrCat(path, ".", f->name());
    if (indent == 0) out += "\n";
    Indent(out, indent);
    if (!f->is_repeated()) {
      out += Label(f->name()) + "\n";
      Fields(r->GetMessage(m, f), indent + 2, personal, here, out);
      continue;
    }
    const int n = r->FieldSize(m, f);
    out += absl::StrCat(Label(f->name()), " (", n, ")\n");
    std::vector<const Message*> rows;
    for (int i = 0; i < n; ++i) rows.push_back(&r->GetRepeatedMessage(m, f, i));
    if (Columns().count(TypeOf(f)) > 0) {
      Table(rows, indent + 2, true, out);
      continue;
    }
    // Items with free texts or lists of their own: one block each.
    for (int i = 0; i < n; ++i) {
      std::string item;
      Fields(*rows[i], 0, personal, absl::StrCat(here, "[", i, "]"), item);
      bool first = true;
      for (absl::string_view line : absl::StrSplit(item, '\n', absl::SkipEmpty())) {
        Indent(out, indent + 2);
        out += absl::StrCat(first ? "- " : "  ", line, "\n");
        first = false;
      }
    }
  }
}

// A case's history: a line per event (position, when it happened, what, who, the request id),
// then its fields with the personal data the caller may see.
std::string RenderHistory(const v1::GetCaseHistoryResponse& history) {
  std::string out;
  for (const v1::StoredEvent& e : history.events()) {
    Personal personal;
    for (const v1::PersonalValue& v : e.personal_data()) personal.by_path[v.path()] = &v.value();
    const auto* r = e.event().GetReflection();
    const FieldDescriptor* kind = r->GetOneofFieldDescriptor(
        e.event(), e.event().GetDescriptor()->FindOneofByName("kind"));
    const std::string what = kind != nullptr ? Label(kind->name()) : Escape(e.type());
    out += absl::StrCat("#", e.position(), "  ", TimeText(e.occurred_at().seconds()), "  ", what,
                        "  by ", Escape(e.actor().person()), " (", Escape(e.actor().agency_id()),
                        ")");
    if (e.legal_basis() != v1::LEGAL_BASIS_UNSPECIFIED) {
      out += absl::StrCat("  under ", EnumLabel(v1::LegalBasis_descriptor()->FindValueByNumber(
                                          e.legal_basis())));
    }
    if (!e.request_id().empty()) out += absl::StrCat("  request ", Escape(e.request_id()));
    out += "\n";
    if (kind != nullptr) Fields(r->GetMessage(e.event(), kind), 4, &personal, kind->name(), out);
  }
  return out;
}

bool ParseDate(absl::string_view text, v1::Date* date) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, '-');
  int y = 0, m = 0, d = 0;
  if (parts.size() != 3 || parts[0].size() != 4 || parts[1].size() != 2 || parts[2].size() != 2 ||
      !absl::SimpleAtoi(parts[0], &y) || !absl::SimpleAtoi(parts[1], &m) ||
      !absl::SimpleAtoi(parts[2], &d)) {
    return false;
  }
  const absl::CivilDay day(y, m, d);
  if (day.year() != y || day.month() != m || day.day() != d) return false;  // e.g. 02-30
  date->set_year(y);
  date->set_month(m);
  date->set_day(d);
  return true;
}

std::string DateJson(const v1::Date& d) {
  return absl::StrFormat(R"({"year":%d,"month":%d,"day":%d})", d.year(), d.month(), d.day());
}

absl::Status DateError(absl::string_view field, absl::string_view text) {
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": a date is YYYY-MM-DD, not \"", Escape(text.substr(0, 40)), "\""));
}

absl::Status RewriteDates(const Descriptor* type, nlohmann::json& object, const std::string& path) {
  if (!object.is_object()) return absl::OkStatus();
  for (auto& [key, value] : object.items()) {
    const FieldDescriptor* f = type->FindFieldByName(key);
    if (f == nullptr) f = type->FindFieldByCamelcaseName(key);
    if (f == nullptr || f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const std::string here = path.empty() ? f->name() : absl::StrCat(path, ".", f->name());
    auto one = [&](nlohmann::json& v) -> absl::Status {
      if (f->message_type()->full_name() == "hotspot.v1.Date") {
        if (!v.is_string()) return absl::OkStatus();
        v1::Date date;
        if (!ParseDate(v.get<std::string>(), &date)) return DateError(here, v.get<std::string>());
        v = nlohmann::json::parse(DateJson(date));
        return absl::OkStatus();
      }
      return RewriteDates(f->message_type(), v, here);
    };
    if (value.is_array()) {
      for (auto& item : value) {
        if (absl::Status s = one(item); !s.ok()) return s;
      }
    } else if (absl::Status s = one(value); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string Render(const Message& response, bool first) {
  if (const auto* history = dynamic_cast<const v1::GetCaseHistoryResponse*>(&response)) {
    return RenderHistory(*history);
  }
  const Descriptor* d = response.GetDescriptor();
  const auto* r = response.GetReflection();
  std::string out;
  // Lists (the answer's repeated messages) as tables, the header once per stream.
  std::vector<const FieldDescriptor*> rest;
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->is_repeated() && f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !f->is_map() &&
        !IsLeafMessage(f)) {
      std::vector<const Message*> rows;
      for (int j = 0; j < r->FieldSize(response, f); ++j) {
        rows.push_back(&r->GetRepeatedMessage(response, f, j));
      }
      Table(rows, 0, first, out);
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !IsLeafMessage(f) &&
               !f->is_repeated()) {
      // The answer's one view (a case, a dashboard): its fields at the top level.
      if (r->HasField(response, f)) Fields(r->GetMessage(response, f), 0, nullptr, "", out);
    } else {
      rest.push_back(f);
    }
  }
  // What is left (position, next page token, ok, counts): "label  value" lines.
  std::vector<std::pair<std::string, std::string>> lines;
  for (const FieldDescriptor* f : rest) {
    if (auto text = InlineText(response, f, nullptr, f->name())) {
      lines.emplace_back(Label(f->name()), *std::move(text));
    }
  }
  if (!lines.empty() && !out.empty() && d->field_count() > 0 &&
      out.find('\n') != out.size() - 1) {
    out += "\n";
  }
  size_t width = 0;
  for (const auto& [label, value] : lines) width = std::max(width, Width(label));
  for (const auto& [label, value] : lines) out += Pad(label, width) + "  " + value + "\n";
  return out;
}

absl::Status DatesFromText(const Descriptor* type, std::string& json) {
  nlohmann::json parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return absl::OkStatus();  // the JSON parser says what is wrong
  if (absl::Status s = RewriteDates(type, parsed, ""); !s.ok()) return s;
  json = parsed.dump();
  return absl::OkStatus();
}

absl::Status DateFlag(absl::string_view field, absl::string_view text, std::string* json) {
  if (absl::StartsWith(absl::StripLeadingAsciiWhitespace(text), "{")) {
    *json = std::string(text);  // protobuf JSON, as before
    return absl::OkStatus();
  }
  v1::Date date;
  if (!ParseDate(text, &date)) return DateError(field, text);
  *json = DateJson(date);
  return absl::OkStatus();
}

}  // namespace hotspot::cli
