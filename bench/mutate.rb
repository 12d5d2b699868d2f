# frozen_string_literal: true
#
# Changes benchmark issues directly in the database, the way people (or many PUTs) would,
# in one transaction and without callbacks:
#
#   scripts/redmine-local runner bench/mutate.rb < payload.json
#
# Payload keys (all optional except project):
#   project      identifier of the benchmark project (every id must belong to it or to
#                one of its subprojects)
#   writes       [{id, body: <the "issue" object of a REST PUT, ids resolved>}]: fields,
#                custom fields and the note are stored with a journal by `user`, exactly
#                what the PUT would have stored, except that updated_on is left alone
#   relations    [{from, to, type}]
#   user, at     author and time of the write journals
#   touch        {every: K, at: ISO time}: set updated_on of every K-th issue (by id) of
#                the project, as an edit that changed nothing visible would
#   edit         {field: NAME, map: {OLD: NEW}, count: N, offset: M, at: ISO time}: a
#                person's edit of a single-value custom field on N open issues whose value
#                is a key of map (by id, after M), with its journal; updated_on = at
#   description  new project description (a marker of what was done to the data)
#
# Prints one JSON line on stdout with the counts and, under write_journals, the journals
# made for the writes as GET /issues/N.json?include=journals would show them.

require 'json'

BATCH = 1000
ATTRS = %w[status_id priority_id tracker_id assigned_to_id].freeze

payload = JSON.parse($stdin.read)
project = Project.find_by!(identifier: payload.fetch('project'))
tree = project.self_and_descendants.pluck(:id) # the project and its subprojects
fields = IssueCustomField.all.index_by(&:id)
fields_by_name = fields.values.index_by(&:name)
closed = IssueStatus.where(is_closed: true).pluck(:id).to_set
counts = Hash.new(0)

def time(text)
  Time.iso8601(text).utc
end

def check_ids(project, tree, ids)
  found = Issue.where(id: ids, project_id: tree).count
  missing = ids.uniq.size - found
  raise "#{missing} issue(s) are not in project #{project.identifier}" if missing != 0
end

def cf_values(field, value)
  values = Array(value).map(&:to_s).reject(&:empty?)
  field.multiple? ? values : [values.first.to_s]
end

ActiveRecord::Base.transaction do
  next_journal = (Journal.maximum(:id) || 0) + 1
  journals = []
  details = []
  written = {}

  writes = payload.fetch('writes', [])
  check_ids(project, tree, writes.map { |w| w.fetch('id') }) unless writes.empty?
  if writes.any?
    user = User.find_by!(login: payload.fetch('user'))
    at = time(payload.fetch('at'))
  end
  # Everything the writes touch, read up front: a query per issue would take a minute.
  ids = writes.map { |w| w.fetch('id') }
  rows = {}
  values = Hash.new { |h, k| h[k] = [] }
  ids.each_slice(BATCH) do |slice|
    Issue.where(id: slice).pluck(:id, :status_id, :priority_id, :tracker_id, :assigned_to_id)
         .each { |r| rows[r[0]] = ATTRS.zip(r[1..]).to_h }
    CustomValue.where(customized_type: 'Issue', customized_id: slice)
               .pluck(:id, :customized_id, :custom_field_id, :value)
               .each { |id, issue_id, field_id, v| values[[issue_id, field_id]] << [id, v] }
  end
  updates = Hash.new { |h, k| h[k] = [] }
  stale_values = []
  new_values = []
  writes.each do |write|
    issue_id = write.fetch('id')
    issue = rows.fetch(issue_id)
    body = write.fetch('body')
    attrs = {}
    changed = []
    ATTRS.each do |key|
      next unless body.key?(key)
      value = body[key] == '' ? nil : body[key]
      next if issue[key] == value
      changed << ['attr', key, issue[key], value]
      attrs[key] = value
    end
    if attrs.key?('status_id')
      attrs['closed_on'] = closed.include?(attrs['status_id']) ? at : nil
    end
    updates[attrs] << issue_id unless attrs.empty?
    Array(body['custom_fields']).each do |cf|
      field = fields.fetch(cf.fetch('id'))
      existing = values[[issue_id, field.id]]
      old = existing.map(&:last).compact.reject(&:empty?)
      new = cf_values(field, cf['value'])
      next if old.sort == new.reject(&:empty?).sort
      if field.multiple?
        (old - new).each { |v| changed << ['cf', field.id.to_s, v, nil] }
        (new - old).each { |v| changed << ['cf', field.id.to_s, nil, v] }
      else
        changed << ['cf', field.id.to_s, old.first, new.first]
      end
      stale_values.concat(existing.map(&:first))
      new.each do |v|
        new_values << { customized_type: 'Issue', customized_id: issue_id,
                        custom_field_id: field.id, value: v }
      end
    end
    notes = body['notes'].to_s
    private_notes = !notes.empty? && body['private_notes'] == true
    # Like Redmine: a private note with changes is stored as two journals.
    groups = if private_notes && !changed.empty?
               [['', false, changed], [notes, true, []]]
             elsif !notes.empty? || !changed.empty?
               [[notes, private_notes, changed]]
             else
               []
             end
    groups.each do |text, priv, list|
      journals << { id: next_journal, journalized_id: issue_id, journalized_type: 'Issue',
                    user_id: user.id, notes: text, created_on: at, private_notes: priv }
      list.each do |property, key, old, new|
        details << { journal_id: next_journal, property: property, prop_key: key,
                     old_value: old&.to_s, value: new&.to_s }
      end
      (written[issue_id] ||= []) << {
        id: next_journal, user: { id: user.id, name: user.name }, notes: text,
        created_on: at.iso8601, private_notes: priv,
        details: list.map do |property, key, old, new|
          { property: property, name: key, old_value: old&.to_s, new_value: new&.to_s }
        end
      }
      next_journal += 1
    end
    counts['written'] += 1
  end
  updates.each { |attrs, list| list.each_slice(BATCH) { |l| Issue.where(id: l).update_all(attrs) } }
  stale_values.each_slice(BATCH) { |l| CustomValue.where(id: l).delete_all }
  new_values.each_slice(BATCH) { |l| CustomValue.insert_all!(l) }

  edit = payload['edit']
  if edit
    # A person's edit of one single-value custom field on `count` open issues (ordered by
    # id, after `offset`) whose value is a key of `map`, with its journal.
    field = fields_by_name.fetch(edit.fetch('field'))
    at = time(edit.fetch('at'))
    open_issues = Issue.where(project_id: tree, status_id: IssueStatus.where(is_closed: false).select(:id))
    picked = CustomValue.where(customized_type: 'Issue', custom_field_id: field.id,
                               value: edit.fetch('map').keys, customized_id: open_issues.select(:id))
                        .order(:customized_id).offset(edit.fetch('offset', 0)).limit(edit.fetch('count'))
                        .pluck(:id, :customized_id, :value)
    people = Issue.where(id: picked.map { |r| r[1] }).pluck(:id, :assigned_to_id, :author_id)
                  .to_h { |id, assignee, author| [id, assignee || author] }
    picked.each do |value_id, issue_id, old|
      new = edit.fetch('map').fetch(old)
      CustomValue.where(id: value_id).update_all(value: new)
      journals << { id: next_journal, journalized_id: issue_id, journalized_type: 'Issue',
                    user_id: people.fetch(issue_id), notes: '', created_on: at,
                    private_notes: false }
      details << { journal_id: next_journal, property: 'cf', prop_key: field.id.to_s,
                   old_value: old, value: new }
      next_journal += 1
    end
    Issue.where(id: picked.map { |r| r[1] }).update_all(updated_on: at)
    counts['edited'] = picked.map { |r| r[1] }
  end

  journals.each_slice(BATCH) { |l| Journal.insert_all!(l) }
  details.each_slice(BATCH) { |l| JournalDetail.insert_all!(l) }
  counts['journals'] += journals.size

  relations = payload.fetch('relations', [])
  unless relations.empty?
    check_ids(project, tree, relations.flat_map { |r| [r.fetch('from'), r.fetch('to')] }.uniq)
    rows = relations.map do |r|
      { issue_from_id: r.fetch('from'), issue_to_id: r.fetch('to'), relation_type: r.fetch('type') }
    end
    rows.each_slice(BATCH) { |l| IssueRelation.insert_all(l) }
    counts['relations'] = rows.size
  end

  touch = payload['touch']
  if touch
    every = touch.fetch('every')
    ids = Issue.where(project_id: tree).order(:id).pluck(:id)
    ids = ids.each_with_index.select { |_, i| (i % every).zero? }.map(&:first)
    Issue.where(id: ids).update_all(updated_on: time(touch.fetch('at')))
    counts['touched'] = ids.size
  end

  project.update_column(:description, payload['description']) if payload.key?('description')
  counts['write_journals'] = written
end

puts JSON.generate(counts)
