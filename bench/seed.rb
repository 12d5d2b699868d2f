# frozen_string_literal: true
#
# Bulk-loads the benchmark issues into a project and its subprojects, bypassing
# ActiveRecord callbacks.
#
#   scripts/redmine-local runner bench/seed.rb < payload.json
#
# The payload (written by bench/seed.py) names everything by name (project identifier,
# trackers, statuses, priorities, logins, custom fields); this file maps the names to ids
# and inserts with insert_all in batches: issues (each row's 'project' is the project or one
# of its subprojects; root_id = id, lft 1, rgt 2: every issue
# is its own tree), their custom values, journals and journal details. Existing issues of
# the project and its subprojects are deleted first, so the result is exactly the payload. The project's
# description is set to payload['description'] (a marker of the data set).
#
# Prints one JSON line on stdout: {"issues": N, "custom_values": N, "journals": N, ...}.

require 'json'

BATCH = 1000

payload = JSON.parse($stdin.read)
started = Process.clock_gettime(Process::CLOCK_MONOTONIC)

project = Project.find_by!(identifier: payload.fetch('project'))
projects = project.self_and_descendants.pluck(:identifier, :id).to_h
trackers = Tracker.pluck(:name, :id).to_h
statuses = IssueStatus.pluck(:name, :id).to_h
priorities = IssuePriority.pluck(:name, :id).to_h
users = User.where(login: payload.fetch('logins')).pluck(:login, :id).to_h
fields = IssueCustomField.pluck(:name, :id).to_h

def need(map, name, what)
  map.fetch(name) { raise "unknown #{what}: #{name.inspect}" }
end

def time(text)
  text && Time.iso8601(text).utc
end

counts = Hash.new(0)
ActiveRecord::Base.transaction do
  old_ids = Issue.where(project_id: projects.values).pluck(:id)
  unless old_ids.empty?
    old_ids.each_slice(BATCH) do |ids|
      journal_ids = Journal.where(journalized_type: 'Issue', journalized_id: ids).pluck(:id)
      journal_ids.each_slice(BATCH) { |j| JournalDetail.where(journal_id: j).delete_all }
      Journal.where(id: journal_ids).delete_all
      CustomValue.where(customized_type: 'Issue', customized_id: ids).delete_all
      IssueRelation.where(issue_from_id: ids).or(IssueRelation.where(issue_to_id: ids)).delete_all
      Watcher.where(watchable_type: 'Issue', watchable_id: ids).delete_all
      Issue.where(id: ids).delete_all
    end
    counts['deleted'] = old_ids.size
  end

  next_issue = (Issue.maximum(:id) || 0) + 1
  next_journal = (Journal.maximum(:id) || 0) + 1
  payload.fetch('issues').each_slice(BATCH) do |batch|
    issues = []
    values = []
    journals = []
    details = []
    batch.each do |row|
      id = next_issue
      next_issue += 1
      created = time(row.fetch('created_on'))
      issues << {
        id: id, project_id: need(projects, row.fetch('project', project.identifier), 'project'),
        tracker_id: need(trackers, row.fetch('tracker'), 'tracker'),
        status_id: need(statuses, row.fetch('status'), 'status'),
        priority_id: need(priorities, row.fetch('priority'), 'priority'),
        author_id: need(users, row.fetch('author'), 'login'),
        assigned_to_id: row['assignee'] && need(users, row['assignee'], 'login'),
        subject: row.fetch('subject'), description: row.fetch('description'),
        created_on: created, updated_on: time(row.fetch('updated_on')),
        closed_on: time(row['closed_on']), start_date: created.to_date,
        due_date: row['due_date'] && Date.iso8601(row['due_date']),
        done_ratio: 0, lock_version: 0, is_private: false,
        root_id: id, lft: 1, rgt: 2, parent_id: nil
      }
      row.fetch('custom_fields').each do |name, value|
        Array(value).each do |v|
          values << { customized_type: 'Issue', customized_id: id,
                      custom_field_id: need(fields, name, 'custom field'), value: v.to_s }
        end
      end
      row.fetch('journals').each do |j|
        journal_id = next_journal
        next_journal += 1
        journals << { id: journal_id, journalized_id: id, journalized_type: 'Issue',
                      user_id: need(users, j.fetch('user'), 'login'), notes: j.fetch('notes'),
                      created_on: time(j.fetch('created_on')), private_notes: j.fetch('private') }
        j.fetch('details').each do |d|
          old_value, new_value = d.fetch('old'), d.fetch('new')
          if d.fetch('key') == 'status_id'
            old_value = need(statuses, old_value, 'status')
            new_value = need(statuses, new_value, 'status')
          end
          details << { journal_id: journal_id, property: 'attr', prop_key: d.fetch('key'),
                       old_value: old_value.to_s, value: new_value.to_s }
        end
      end
    end
    Issue.insert_all!(issues)
    CustomValue.insert_all!(values) unless values.empty?
    Journal.insert_all!(journals) unless journals.empty?
    JournalDetail.insert_all!(details) unless details.empty?
    counts['issues'] += issues.size
    counts['custom_values'] += values.size
    counts['journals'] += journals.size
    counts['journal_details'] += details.size
  end
  project.update_column(:description, payload['description']) if payload.key?('description')
end

counts['seconds'] = (Process.clock_gettime(Process::CLOCK_MONOTONIC) - started).round(2)
puts JSON.generate(counts)
