# frozen_string_literal: true
#
# Baseline configuration of the local Redmine used by redmine-sync's tests and demo.
#
# Run once per fresh instance by `scripts/redmine-local up`, as www-data, through
#   bundle exec rails runner -e production <instance dir>/setup.rb
# with REDMINE_LOCAL_DIR and REDMINE_LOCAL_PORT in the environment. The API keys are read
# from <instance dir>/api-keys (written by the shell script), so they stay stable even
# when the instance is rebuilt.
#
# Everything is find-or-create, so running it twice does no harm.

dir = ENV.fetch('REDMINE_LOCAL_DIR')
port = ENV.fetch('REDMINE_LOCAL_PORT')

keys = {}
File.readlines(File.join(dir, 'api-keys')).each do |line|
  name, value = line.strip.split('=', 2)
  keys[name] = value if name && value
end
BOT_KEY = keys.fetch('REDMINE_API_KEY')
ADMIN_KEY = keys.fetch('REDMINE_LOCAL_ADMIN_KEY')
[BOT_KEY, ADMIN_KEY].each do |k|
  raise "api-keys: not a 40-hex key: #{k.inspect}" unless /\A[0-9a-f]{40}\z/.match?(k)
end

ADMIN_PASSWORD = 'redmine-sync-admin'
STAFF_PASSWORD = 'redmine-sync-demo'

def say(msg)
  warn "  setup: #{msg}"
end

def set_api_key(user, key)
  user.api_key # creates the token when missing
  token = user.reload.api_token
  token.update_column(:value, key) unless token.value == key
end

def issue_field(name, format, values: nil, multiple: false, filter: true, searchable: false, long: false)
  f = IssueCustomField.find_or_initialize_by(name: name)
  f.field_format = format if f.new_record?
  f.is_for_all = true
  f.visible = true
  f.editable = true
  f.is_required = false
  f.is_filter = filter
  f.searchable = searchable
  f.multiple = multiple if format == 'list'
  f.possible_values = values if values
  f.text_formatting = 'full' if long
  f.tracker_ids = Tracker.pluck(:id)
  f.role_ids = []
  f.save!
  f
end

def upsert_user(login, first, last, mail, password: nil)
  u = User.find_or_initialize_by(login: login)
  u.firstname = first
  u.lastname = last
  u.mail = mail
  u.admin = false
  u.status = User::STATUS_ACTIVE
  u.language = 'en'
  u.mail_notification = 'none'
  if password
    u.password = password
    u.password_confirmation = password
  end
  u.must_change_passwd = false
  u.save!
  u
end

def membership(project, principal, role)
  m = Member.find_by(project_id: project.id, user_id: principal.id)
  if m.nil?
    Member.create!(project: project, principal: principal, role_ids: [role.id])
  elsif !m.roles.include?(role)
    m.role_ids = m.member_roles.reject(&:inherited_from).map(&:role_id) + [role.id]
    m.save!
  end
end

ActiveRecord::Base.transaction do
  # --- default data (trackers, statuses, roles, priorities, workflows) -------------------
  if Redmine::DefaultData::Loader.no_data?
    Redmine::DefaultData::Loader.load('en')
    say 'default data loaded (en)'
  end

  # --- settings ---------------------------------------------------------------------------
  Setting.rest_api_enabled = '1'
  Setting.text_formatting = 'common_mark'
  Setting.issue_group_assignment = '1'
  Setting.cross_project_issue_relations = '1'
  Setting.default_language = 'en'
  Setting.host_name = "127.0.0.1:#{port}"
  Setting.protocol = 'http'
  Setting.login_required = '0'
  Setting.mail_from = 'redmine-sync@example.invalid'
  # No mail is delivered anyway (no SMTP); this keeps every write from queueing mailer jobs.
  Setting.notified_events = []
  say 'settings'

  # --- statuses and workflows -------------------------------------------------------------
  closed = IssueStatus.find_by!(name: 'Closed')
  testing = IssueStatus.find_or_create_by!(name: 'Testing') { |s| s.is_closed = false }
  awaiting = IssueStatus.find_or_create_by!(name: 'Awaiting acceptance') { |s| s.is_closed = false }
  # Order: New, In Progress, Resolved, Feedback, Testing, Awaiting acceptance, Closed, Rejected
  [testing, awaiting].each do |s|
    s.reload
    s.update!(position: closed.reload.position) if s.position > closed.reload.position
  end

  statuses = IssueStatus.sorted.to_a
  trackers = Tracker.sorted.to_a
  manager = Role.find_by!(name: 'Manager')
  developer = Role.find_by!(name: 'Developer')

  permissions = %i[
    view_issues add_issues edit_issues add_issue_notes set_notes_private view_private_notes
    edit_own_issue_notes manage_issue_relations view_issue_watchers add_issue_watchers delete_issue_watchers
    view_wiki_pages view_wiki_edits edit_wiki_pages view_members
  ]
  known = Redmine::AccessControl.permissions.map(&:name)
  unknown = permissions - known
  raise "unknown permissions in this Redmine: #{unknown.inspect}" unless unknown.empty?

  bot_role = Role.find_or_initialize_by(name: 'Sync bot')
  bot_role.assignable = false
  bot_role.issues_visibility = 'all'
  bot_role.users_visibility = 'all'
  bot_role.time_entries_visibility = 'all'
  bot_role.permissions = permissions
  bot_role.save!

  existing = WorkflowTransition.pluck(:tracker_id, :role_id, :old_status_id, :new_status_id).to_set
  wanted = []
  trackers.each do |t|
    [manager, bot_role].each do |r|
      statuses.each do |os|
        statuses.each do |ns|
          wanted << [t.id, r.id, os.id, ns.id] unless os == ns
        end
      end
    end
    # Developer: the Debian/upstream default pattern, extended with the two new statuses.
    from = statuses.reject { |s| s.is_closed? }
    to = statuses.reject { |s| s.name == 'New' || s.name == 'Rejected' }
    from.each do |os|
      to.each do |ns|
        wanted << [t.id, developer.id, os.id, ns.id] unless os == ns
      end
    end
  end
  added = 0
  wanted.uniq.each do |row|
    next if existing.include?(row)

    WorkflowTransition.create!(tracker_id: row[0], role_id: row[1], old_status_id: row[2], new_status_id: row[3])
    added += 1
  end
  say "statuses Testing, Awaiting acceptance; #{added} workflow transitions added"

  # --- issue custom fields ------------------------------------------------------------------

  labels = %w[
    duplicate duplicate-candidate needs-info deferred rejected feature urgent-bug custom-request
    ui service sales do-first long-term quick-win defer urgent normal deferrable emergency
    delay-risk key-feature-change sla-warning sla-breached escalated strategic potential stable ordinary
    info-received nudged
    survey-sent change-request change-approved change-rejected needs-acceptance
  ]
  issue_field('Labels', 'list', values: labels, multiple: true)
  issue_field('Customer', 'string', searchable: true)
  issue_field('Channel', 'list',
              values: %w[interview survey support-ticket sales-feedback usage-data competitor-analysis])
  issue_field('Requirement type', 'list', values: %w[functional service sales custom])
  issue_field('Value', 'list', values: %w[high low])
  issue_field('Cost', 'list', values: %w[high low])
  issue_field('Urgency', 'list', values: %w[urgent normal deferrable])
  issue_field('Tier', 'string')
  issue_field('Business value', 'text', filter: false, searchable: true, long: true)
  issue_field('Acceptance criteria', 'text', filter: false, searchable: true, long: true)
  issue_field('SLA due', 'string')
  issue_field('SLA state', 'list', values: %w[running paused warning breached met])
  issue_field('Satisfaction', 'int')   # the customer's 1-5 score of a closed request (reports)
  say "custom fields: #{IssueCustomField.sorted.pluck(:name).join(', ')}"

  # --- users and groups -----------------------------------------------------------------------

  admin = User.find_by!(login: 'admin')
  admin.password = ADMIN_PASSWORD
  admin.password_confirmation = ADMIN_PASSWORD
  admin.must_change_passwd = false
  admin.language = 'en'
  admin.save!
  set_api_key(admin, ADMIN_KEY)

  bot = upsert_user('redmine-sync', 'redmine-sync', 'bot', 'redmine-sync@example.invalid')
  set_api_key(bot, BOT_KEY)

  staff = {
    'pm.li' => %w[Li Na],
    'dev.wang' => %w[Wang Lei],
    'dev.chen' => %w[Chen Jie],
    'support.zhao' => %w[Zhao Min],
    'tech.sun' => %w[Sun Hao],
    'sales.zhou' => %w[Zhou Yan],
    'pmo.wu' => %w[Wu Fang],
    'am.liu' => %w[Liu Yang],
    'am.smith' => %w[Anna Smith]
  }.to_h do |login, (first, last)|
    [login, upsert_user(login, first, last, "#{login}@example.com", password: STAFF_PASSWORD)]
  end

  groups = {
    'Product & R&D' => %w[pm.li dev.wang dev.chen],
    'Support' => %w[support.zhao tech.sun],
    'Sales' => %w[sales.zhou],
    'Delivery' => %w[pmo.wu dev.chen],
    'Account managers' => %w[am.liu am.smith]
  }.to_h do |name, logins|
    g = Group.find_or_initialize_by(lastname: name)
    g.save! if g.new_record?
    logins.map { |l| staff.fetch(l) }.each { |u| g.users << u unless g.users.include?(u) }
    [name, g]
  end
  say "users: admin, redmine-sync, #{staff.keys.join(', ')}; #{groups.size} groups"

  # --- projects -------------------------------------------------------------------------------

  {
    'demo' => ['Customer requests (demo)', 'Demo project for redmine-sync: customer requests and their triage.'],
    'sandbox' => ['Sandbox', 'Scratch project for experiments with redmine-sync.']
  }.each do |identifier, (name, description)|
    p = Project.find_or_initialize_by(identifier: identifier)
    p.name = name
    p.description = description
    p.is_public = true
    p.save! if p.new_record?
    p.enabled_module_names = %w[issue_tracking wiki]
    p.trackers = Tracker.all.to_a
    p.issue_custom_fields = IssueCustomField.all.to_a
    p.save!
    p.reload
    Wiki.create!(project: p, start_page: 'Wiki') if p.wiki.nil?

    membership(p, bot, bot_role)
    staff.each do |login, u|
      membership(p, u, login == 'pm.li' ? manager : developer)
    end
    groups.each_value { |g| membership(p, g, developer) }
  end
  say 'projects: demo, sandbox'
end

puts 'redmine-local setup: ok'
