# frozen_string_literal: true
#
# Writes a generated history (scripts/history/events.py) into a Redmine project, back-dated
# (the REST API cannot set timestamps): each issue is created through ActiveRecord as its
# author, then each event becomes a journal with the details Redmine records for it, at the
# planned instant; the issue ends with the values of its last event.
#
#   scripts/redmine-local runner scripts/history/write.rb PROJECT [--replace] < history.json
#
# --replace deletes the project's issues first (so the demo can be rebuilt); the new
# issues get ids above those of every issue there was before it started. Customer contacts
# become users (if missing) and Reporters of the project. Runs in one
# transaction: a failure writes nothing. Prints one line `history-ids: {"h001": 123, ...}`
# (the issue ids by event key) and a summary on stderr.

require 'json'

project_id = ARGV[0] or abort('usage: write.rb PROJECT [--replace] < history.json')
replace = ARGV[1] == '--replace'
history = JSON.parse($stdin.read)
project = Project.find_by(identifier: project_id) or abort("write.rb: no project #{project_id.inspect}")
started = Time.now

CONTACT_PASSWORD = 'redmine-sync-demo'
reporter = Role.find_by!(name: 'Reporter')
trackers = Tracker.all.index_by(&:name)
statuses = IssueStatus.all.index_by(&:name)
priorities = IssuePriority.all.index_by(&:name)
fields = IssueCustomField.all.index_by(&:name)
users = {}
user = lambda do |login|
  users[login] ||= User.find_by(login: login) || abort("write.rb: no user #{login.inspect}")
end

def at(text)
  Time.iso8601(text)
end

def field_values(fields, values)
  values.to_h do |name, value|
    f = fields[name] or abort("write.rb: no issue custom field #{name.inspect}")
    [f.id.to_s, value]
  end
end


# An issue's values as its journals change them. Journals and their details are inserted
# directly (the same rows Redmine writes on an update), the issue's columns and custom values
# are set once at the end: this is about ten times faster than one Issue#save per journal.
class IssueState
  ATTRS = %w[status_id done_ratio due_date subject description priority_id assigned_to_id].freeze

  def initialize(issue, fields)
    @issue = issue
    @fields = fields
    @attrs = ATTRS.to_h { |a| [a, issue.send(a)&.to_s] }
    @values = issue.custom_field_values.to_h do |cv|
      [cv.custom_field.id, cv.custom_field.multiple? ? Array(cv.value).reject(&:blank?).sort : cv.value.to_s]
    end
    @closed = IssueStatus.where(is_closed: true).pluck(:id).map(&:to_s)
    @closed_on = nil
    @last = nil
  end

  def journal(by, time, event, statuses, priorities, user)
    set = event['set']
    wanted = {}
    wanted['status_id'] = statuses.fetch(set['status']).id.to_s if set['status']
    wanted['done_ratio'] = set['done_ratio'].to_s if set.key?('done_ratio')
    wanted['due_date'] = set['due_date'] if set.key?('due_date')
    wanted['subject'] = set['subject'] if set['subject']
    wanted['description'] = set['description'] if set['description']
    wanted['priority_id'] = priorities.fetch(set['priority']).id.to_s if set['priority']
    wanted['assigned_to_id'] = user.call(set['assigned_to']).id.to_s if set['assigned_to']
    details = []
    wanted.each do |name, value|
      next if @attrs[name] == value

      details << { property: 'attr', prop_key: name, old_value: @attrs[name], value: value }
      @attrs[name] = value
    end
    (set['custom_fields'] || {}).each do |name, value|
      f = @fields.fetch(name) { abort("write.rb: no issue custom field #{name.inspect}") }
      if f.multiple?
        after = Array(value).map(&:to_s).sort
        before = @values[f.id] || []
        (before - after).each { |v| details << { property: 'cf', prop_key: f.id.to_s, old_value: v, value: nil } }
        (after - before).each { |v| details << { property: 'cf', prop_key: f.id.to_s, old_value: nil, value: v } }
      else
        after = value.to_s
        before = @values[f.id].to_s
        details << { property: 'cf', prop_key: f.id.to_s, old_value: before, value: after } unless before == after
      end
      @values[f.id] = after
    end
    notes = event['notes'].to_s
    if details.empty? && notes.strip.empty?
      abort("write.rb: #{@issue.id} at #{time.iso8601}: the journal changes nothing, Redmine keeps none")
    end
    if event['private'] && !details.empty? && !notes.strip.empty?
      abort("write.rb: #{@issue.id} at #{time.iso8601}: a private note with changes (Redmine splits it in two)")
    end
    journal = Journal.create!(journalized: @issue, user: by, notes: notes,
                              private_notes: event['private'] ? true : false)
    Journal.where(id: journal.id).update_all(created_on: time)
    JournalDetail.insert_all!(details.map { |d| d.merge(journal_id: journal.id) }) unless details.empty?
    @closed_on = time if details.any? { |d| d[:prop_key] == 'status_id' } && @closed.include?(@attrs['status_id'])
    @last = time
  end

  def finish(created)
    columns = ATTRS.to_h { |a| [a, @attrs[a]] }
    columns['done_ratio'] = columns['done_ratio'].to_i
    columns.merge!('created_on' => created, 'updated_on' => @last || created, 'closed_on' => @closed_on)
    Issue.where(id: @issue.id).update_all(columns)
    @values.each do |field_id, value|
      rows = CustomValue.where(customized_type: 'Issue', customized_id: @issue.id, custom_field_id: field_id)
      if value.is_a?(Array)
        rows.delete_all
        CustomValue.insert_all!((value.empty? ? [''] : value).map do |v|
          { customized_type: 'Issue', customized_id: @issue.id, custom_field_id: field_id, value: v }
        end)
      elsif rows.exists?
        rows.update_all(value: value)
      else
        CustomValue.create!(customized: @issue, custom_field_id: field_id, value: value)
      end
    end
  end
end

ids = {}
journals = 0
ActiveRecord::Base.transaction do
  history['customers'].each do |customer|
    customer['contacts'].each do |c|
      u = User.find_by(login: c['login'])
      if u.nil?
        u = User.new(firstname: c['firstname'], lastname: c['lastname'], mail: c['mail'],
                     language: 'en', mail_notification: 'none')
        u.login = c['login']
        u.password = u.password_confirmation = CONTACT_PASSWORD
        u.save!
      end
      unless Member.exists?(project_id: project.id, user_id: u.id)
        Member.create!(project: project, principal: u, role_ids: [reporter.id])
      end
    end
  end
  # Fresh ids even after --replace (SQLite would hand out the deleted ones again), so that
  # nothing remembered about an earlier issue, such as the tool's state, applies to a new one.
  next_id = (Issue.maximum(:id) || 0) + 1
  if replace
    removed = project.issues.count
    Issue.where(project_id: project.id).order(id: :desc).each(&:destroy)
    warn "write.rb: #{removed} earlier issues of #{project_id} deleted"
  end

  history['issues'].each do |item|
    author = user.call(item['author'])
    created = at(item['created'])
    User.current = author
    issue = Issue.new(project: project, tracker: trackers.fetch(item['tracker']), author: author,
                      subject: item['subject'], description: item['description'],
                      priority: priorities.fetch(item['priority']), status: statuses.fetch('New'),
                      start_date: created.getlocal('+08:00').to_date)
    issue.assigned_to = user.call(item['assigned_to']) if item['assigned_to']
    issue.custom_field_values = field_values(fields, item['custom_fields'])
    issue.id = next_id
    next_id += 1
    issue.save!
    ids[item['key']] = issue.id
    state = IssueState.new(issue, fields)
    item['journals'].each do |j|
      state.journal(user.call(j['by']), at(j['at']), j, statuses, priorities, user)
      journals += 1
    end
    state.finish(created)
  end
end
User.current = nil

puts "history-ids: #{JSON.generate(ids)}"
warn format('write.rb: %<issues>d issues, %<journals>d journals into %<project>s in %<secs>.1f s',
            issues: ids.size, journals: journals, project: project_id, secs: Time.now - started)
